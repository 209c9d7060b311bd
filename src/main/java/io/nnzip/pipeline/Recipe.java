package io.nnzip.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nnzip.codec.EncodeConfig;
import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compression recipe: passes run in order, each with its options (the fields of the pass's config, by
 * snake_case name), and an accuracy budget. YAML form:
 * <pre>
 * name: deep-compression
 * description: ...
 * max_drop: 0.5            # accuracy points the whole recipe may lose against the input model
 * steps:
 *   - step: prune          # a pass (see {@link Passes}): prune, quantize, factorize, distill, train
 *     options: {method: magnitude, amount: 0.9, finetune: 1}
 *     on_fail: retry       # abort | rollback | retry (then rollback)
 *     retry: [{amount: 0.8}, {amount: 0.7}]   # gentler settings, tried in order; each overrides options
 *     max_drop: 2          # optional: this step's own budget (a step the later ones recover from); default the recipe's
 *     rate_penalty: 1e-6   # optional: every fine-tuning of this step adds λ·(estimated .nnz bits of the weights) to its loss
 * encode: {qp: -38}        # optional: codec options for the final .nnz (--nnz), see {@link EncodeConfig}; diff: true codes it against the input;
 *                           # provenance: compact|none keeps the pass records without option descriptions, or none of them
 * transformer:             # optional: max_drop, steps and encode used instead when the input is a transformer
 *   max_drop: 1.0          # (a Softmax and a MatMul with a weight matrix), whose layers, learning rates and
 *   steps: [...]           # small tensors want other settings than a CNN's or an MLP's
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Recipe(String name, String description, @JsonProperty("max_drop") Double maxDrop, List<Step> steps, Map<String, Object> encode,
                     Variant transformer) {
    /** Settings that replace the recipe's for one kind of model; what it leaves out is the recipe's. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Variant(@JsonProperty("max_drop") Double maxDrop, List<Step> steps, Map<String, Object> encode) {}

    public Recipe(String name, String description, Double maxDrop, List<Step> steps, Map<String, Object> encode) {
        this(name, description, maxDrop, steps, encode, null);
    }

    public enum OnFail { abort, rollback, retry }

    /**
     * @param maxDrop this step's own budget against the input model, for a step the later ones recover from (sparse
     *     variational dropout's cut before magnitude pruning retrains); null = the recipe's. The last step should keep
     *     the recipe's, so what the recipe writes stays within it.
     */
    public record Step(String step, Map<String, Object> options, @JsonProperty("on_fail") OnFail onFail, List<Map<String, Object>> retry,
                       @JsonProperty("max_drop") Double maxDrop, @JsonProperty("rate_penalty") Double ratePenalty) {
        public Step(String step, Map<String, Object> options, OnFail onFail, List<Map<String, Object>> retry) { this(step, options, onFail, retry, null, null); }

        public Step(String step, Map<String, Object> options, OnFail onFail, List<Map<String, Object>> retry, Double maxDrop) { this(step, options, onFail, retry, maxDrop, null); }

        public Step {
            if (step == null || step.isBlank()) throw new NnzipException("recipe step without a 'step' pass");
            options = options == null ? Map.of() : new LinkedHashMap<>(options);
            onFail = onFail == null ? OnFail.rollback : onFail;
            retry = retry == null ? List.of() : List.copyOf(retry);
            if (maxDrop != null && !(maxDrop >= 0)) throw new NnzipException("recipe step '" + step + "': max_drop must be a number of points >= 0, got " + maxDrop);
            if (ratePenalty != null && !(ratePenalty >= 0 && ratePenalty < Double.POSITIVE_INFINITY))
                throw new NnzipException("recipe step '" + step + "': rate_penalty must be a number of loss units per bit >= 0, got " + ratePenalty);
        }

        /** The settings tried in order: the options, then each retry's overrides applied to them. */
        public List<Map<String, Object>> attempts() {
            List<Map<String, Object>> out = new ArrayList<>();
            out.add(options);
            if (onFail == OnFail.retry)
                for (Map<String, Object> r : retry) {
                    Map<String, Object> m = new LinkedHashMap<>(options);
                    m.putAll(r);
                    out.add(m);
                }
            return out;
        }

        /** The options as one line, for reports. */
        public String args() { return show(options); }
    }

    /** Options as "key=value ..." for reports and logs. */
    public static String show(Map<String, ?> options) {
        StringBuilder sb = new StringBuilder();
        options.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }

    public Recipe {
        if (name == null) name = "recipe";
        description = description == null ? "" : description;
        if (steps == null || steps.isEmpty()) throw new NnzipException("recipe '" + name + "' has no steps");
        steps = List.copyOf(steps);
        encode = encode == null ? Map.of() : new LinkedHashMap<>(encode);
    }

    /**
     * The recipe as it runs on {@code g}: with its {@code transformer} settings in place when {@code g} is a
     * transformer (a Softmax and a MatMul with a weight matrix), else itself; the result has no variant left.
     */
    public Recipe forModel(io.nnzip.ir.Graph g) {
        if (transformer == null) return this;
        return io.nnzip.quant.qdq.LinearPlacement.isTransformer(g) ? asTransformer() : new Recipe(name, description, maxDrop, steps, encode, null);
    }

    /** The recipe with its transformer settings in place of its own (what they leave out stays); no variant left. */
    private Recipe asTransformer() {
        Variant v = transformer;
        return new Recipe(name, description, v.maxDrop() != null ? v.maxDrop() : maxDrop, v.steps() != null ? v.steps() : steps,
                v.encode() != null ? v.encode() : encode, null);
    }

    /** How the final .nnz is coded (typed; a bad option fails here, before any step runs). */
    public EncodeConfig encoding() {
        try {
            return EncodeConfig.of(encode);
        } catch (NnzipException e) {
            throw new NnzipException("recipe '" + name + "': encode: " + e.getMessage());
        }
    }

    /** Builds every step's pass at every setting it may try: a bad option shows now, not after an hour of the steps before it. */
    public void check() {
        checkSteps();
        encoding();
        for (Step s : steps) for (Map<String, Object> a : s.attempts()) Passes.build(s.step(), a);
        if (transformer != null) asTransformer().check();
    }

    /** Every step names a built-in pass (its option values are judged when the step runs, so a bad one is rolled back). */
    void checkSteps() {
        for (Step s : steps) if (!Passes.names().contains(s.step()))
            throw new NnzipException("recipe '" + name + "': unknown step '" + s.step() + "' (passes: " + String.join(", ", Passes.names()) + ")");
        if (transformer != null && transformer.steps() != null) {
            if (transformer.steps().isEmpty()) throw new NnzipException("recipe '" + name + "': transformer: steps is empty");
            for (Step s : transformer.steps()) if (!Passes.names().contains(s.step()))
                throw new NnzipException("recipe '" + name + "': transformer: unknown step '" + s.step() + "' (passes: " + String.join(", ", Passes.names()) + ")");
        }
        if (transformer != null && transformer.maxDrop() != null && !(transformer.maxDrop() >= 0))
            throw new NnzipException("recipe '" + name + "': transformer: max_drop must be a number of points >= 0, got " + transformer.maxDrop());
    }

    public double budget() { return maxDrop == null ? Double.POSITIVE_INFINITY : maxDrop; }

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Reads a recipe; an unknown step is reported before anything runs. */
    public static Recipe parse(InputStream in, String where) {
        Recipe r;
        try {
            r = YAML.readValue(in, Recipe.class);
        } catch (IOException e) {
            Throwable c = e.getCause();
            if (c instanceof NnzipException n) throw new NnzipException(where + ": " + n.getMessage());
            String m = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new NnzipException(where + ": not a valid recipe (" + m + ")");
        }
        try {
            r.checkSteps();
        } catch (NnzipException e) {
            throw new NnzipException(where + ": " + e.getMessage());
        }
        return r;
    }

    public static Recipe load(Path file) {
        if (!Files.exists(file)) throw new NnzipException("no such recipe file: " + file);
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new NnzipException("cannot read recipe " + file + ": " + e.getMessage());
        }
    }
}
