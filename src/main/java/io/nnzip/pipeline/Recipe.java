package io.nnzip.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A compression recipe: steps run in order, each one of nnzip's own commands with that command's options, and an
 * accuracy budget. YAML form:
 * <pre>
 * name: deep-compression
 * description: ...
 * max_drop: 0.5            # accuracy points the whole recipe may lose against the input model
 * steps:
 *   - step: prune          # an nnzip command that reads MODEL and writes -o OUT
 *     args: --method magnitude --amount 0.9 --finetune 1
 *     on_fail: retry       # abort | rollback | retry (then rollback)
 *     retry: [--amount 0.8, --amount 0.7]   # gentler settings, tried in order; each overrides options in args
 * encode: --qp -38         # optional: options for the final .nnz (--nnz); "diff ..." codes it against the input
 * </pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Recipe(String name, String description, @JsonProperty("max_drop") Double maxDrop, List<Step> steps, String encode) {
    public enum OnFail { abort, rollback, retry }

    public record Step(String step, String args, @JsonProperty("on_fail") OnFail onFail, List<String> retry) {
        public Step {
            if (step == null || step.isBlank()) throw new NnzipException("recipe step without a 'step' command");
            args = args == null ? "" : args;
            onFail = onFail == null ? OnFail.rollback : onFail;
            retry = retry == null ? List.of() : List.copyOf(retry);
        }

        public List<String> argList() { return split(args); }
    }

    public Recipe {
        if (name == null) name = "recipe";
        description = description == null ? "" : description;
        if (steps == null || steps.isEmpty()) throw new NnzipException("recipe '" + name + "' has no steps");
        steps = List.copyOf(steps);
    }

    public double budget() { return maxDrop == null ? Double.POSITIVE_INFINITY : maxDrop; }

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public static Recipe parse(InputStream in, String where) {
        try {
            return YAML.readValue(in, Recipe.class);
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw new NnzipException(where + ": not a valid recipe (" + m + ")");
        }
    }

    public static Recipe load(Path file) {
        if (!Files.exists(file)) throw new NnzipException("no such recipe file: " + file);
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new NnzipException("cannot read recipe " + file + ": " + e.getMessage());
        }
    }

    /** Splits an option string on whitespace, honouring single and double quotes. */
    public static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
                else cur.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any || cur.length() > 0) out.add(cur.toString());
                cur.setLength(0);
                any = false;
            } else cur.append(c);
        }
        if (any || cur.length() > 0) out.add(cur.toString());
        return out;
    }

    /** {@code base} with every option named in {@code override} replaced by the override's value (or appended). */
    public static List<String> override(List<String> base, List<String> override) {
        List<String> out = new ArrayList<>(base);
        for (int i = 0; i < override.size(); i++) {
            String opt = override.get(i);
            if (!opt.startsWith("--")) continue;
            String key = opt.contains("=") ? opt.substring(0, opt.indexOf('=')) : opt;
            boolean hasValue = !opt.contains("=") && i + 1 < override.size() && !override.get(i + 1).startsWith("--");
            List<String> repl = hasValue ? List.of(opt, override.get(i + 1)) : List.of(opt);
            int at = -1;
            for (int j = 0; j < out.size(); j++) if (out.get(j).equals(key) || out.get(j).startsWith(key + "=")) at = j;
            if (at < 0) out.addAll(repl);
            else {
                boolean baseHasValue = !out.get(at).contains("=") && at + 1 < out.size() && !out.get(at + 1).startsWith("--");
                out.subList(at, at + (baseHasValue ? 2 : 1)).clear();
                out.addAll(at, repl);
            }
            if (hasValue) i++;
        }
        return out;
    }
}
