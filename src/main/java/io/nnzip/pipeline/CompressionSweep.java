package io.nnzip.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nnzip.data.DataSpec;
import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.ScaleOuts;
import io.nnzip.ir.NnzipException;
import io.nnzip.util.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A recipe run once per combination of option values ("STEP.OPTION=V1,V2,..."), each run an independent point (in
 * this process, or as a Spark task); the smallest coded model within the recipe's accuracy budget is written.
 */
public final class CompressionSweep {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    record Axis(int step, String option, List<Object> values) {
        String key(Recipe r) { return r.steps().get(step).step() + "." + option; }
    }

    /**
     * What to sweep and where the chosen point's files go.
     *
     * @param axes        "STEP.OPTION=V1,V2,...": STEP is a step's pass name (its first occurrence) or its index
     * @param nnz         also write the chosen point as a .nnz there (null: not)
     * @param sparkMaster run each point as a Spark task there (null: in this process, one after another)
     */
    public record Request(Recipe recipe, List<String> axes, Path model, Path output, Path nnz, DataSpec data, int threads,
                          String sparkMaster, Consumer<String> log) {}

    private CompressionSweep() {}

    static List<Axis> parse(List<String> specs, Recipe r) {
        List<Axis> axes = new ArrayList<>();
        for (String s : specs) {
            int eq = s.indexOf('='), dot = s.indexOf('.');
            if (eq < 0 || dot < 0 || dot > eq) throw new NnzipException("--sweep '" + s + "': expected STEP.OPTION=V1,V2,... (e.g. prune.amount=0.8,0.9)");
            String step = s.substring(0, dot), option = s.substring(dot + 1, eq);
            int idx = -1;
            for (int i = 0; i < r.steps().size() && idx < 0; i++) if (r.steps().get(i).step().equals(step) || String.valueOf(i).equals(step)) idx = i;
            if (idx < 0) throw new NnzipException("--sweep '" + s + "': recipe '" + r.name() + "' has no step '" + step + "'");
            List<Object> values = new ArrayList<>();
            for (String v : s.substring(eq + 1).split(",")) {
                if (v.isBlank()) throw new NnzipException("--sweep '" + s + "': empty value");
                values.add(scalar(v.trim()));
            }
            axes.add(new Axis(idx, option, values));
        }
        return axes;
    }

    static Object scalar(String v) {
        try {
            Object o = YAML.readValue(v, Object.class);
            return o == null ? v : o;
        } catch (IOException e) {
            return v;
        }
    }

    /** Every combination, the last axis varying fastest; each a map from axis to value. */
    static List<List<Object>> combinations(List<Axis> axes) {
        List<List<Object>> out = new ArrayList<>();
        out.add(List.of());
        for (Axis a : axes) {
            List<List<Object>> next = new ArrayList<>();
            for (List<Object> p : out) for (Object v : a.values()) {
                List<Object> q = new ArrayList<>(p);
                q.add(v);
                next.add(q);
            }
            out = next;
        }
        return out;
    }

    /** The recipe with each axis's option set to the point's value (the step's retry settings are kept). */
    static Recipe apply(Recipe r, List<Axis> axes, List<Object> point) {
        List<Recipe.Step> steps = new ArrayList<>(r.steps());
        for (int i = 0; i < axes.size(); i++) {
            Axis a = axes.get(i);
            Recipe.Step s = steps.get(a.step());
            Map<String, Object> o = new LinkedHashMap<>(s.options() == null ? Map.of() : s.options());
            o.put(a.option(), point.get(i));
            steps.set(a.step(), new Recipe.Step(s.step(), o, s.onFail(), s.retry(), s.maxDrop(), s.ratePenalty()));
        }
        return new Recipe(r.name(), r.description(), r.maxDrop(), steps, r.encode());
    }

    /** A point's summary (plain values only) and its output files' bytes. */
    record Result(LinkedHashMap<String, Object> summary, byte[] onnx, byte[] nnz) implements Serializable {}

    /** One run of the recipe, as plain values so that it can run in another process; the data is read where it runs. */
    record Point(String recipeJson, byte[] model, String modelName, DataSpec data, int threads, boolean nnz)
            implements ScaleOut.Job<Result> {
        @Override
        public Result run() {
            Path dir = null;
            try {
                dir = Files.createTempDirectory("nnzip-sweep-");
                Path in = dir.resolve(modelName), out = dir.resolve("out.onnx"), coded = nnz ? dir.resolve("out.nnz") : null;
                Files.write(in, model);
                Recipe r = Recipe.parse(new ByteArrayInputStream(recipeJson.getBytes(StandardCharsets.UTF_8)), "sweep point");
                Compression.Outcome o = Compression.run(new Compression.Request(r, in, out, coded, null, data.splits(), 0, threads, null, line -> {}));
                LinkedHashMap<String, Object> s = new LinkedHashMap<>();
                for (Map.Entry<String, Object> e : o.json().entrySet())
                    if (e.getValue() instanceof Number || e.getValue() instanceof String || e.getValue() instanceof Boolean) s.put(e.getKey(), e.getValue());
                s.remove("output");
                s.remove("nnz");
                s.remove("model");
                s.put("step_status", String.join(", ", o.result().steps().stream().map(x -> x.step() + ": " + x.status()).toList()));
                return new Result(s, Files.readAllBytes(out), coded == null ? null : Files.readAllBytes(coded));
            } catch (IOException e) {
                throw new NnzipException("sweep point: " + e.getMessage());
            } finally {
                if (dir != null) AtomicFiles.deleteTree(dir);
            }
        }
    }

    public static Map<String, Object> run(Request q) throws IOException {
        Recipe r = q.recipe();
        List<Axis> axes = parse(q.axes(), r);
        List<List<Object>> combos = combinations(axes);
        if (combos.size() > 256) throw new NnzipException("--sweep: " + combos.size() + " points (at most 256)");
        byte[] bytes = Files.readAllBytes(q.model());
        List<Point> points = new ArrayList<>();
        for (List<Object> c : combos) {
            Recipe rc = apply(r, axes, c);
            rc.check();
            points.add(new Point(JSON.writeValueAsString(rc), bytes, q.model().getFileName().toString(), q.data(), q.threads(), q.nnz() != null));
        }
        List<ScaleOut.Done<Result>> done;
        if (q.sparkMaster() != null) {
            q.log().accept("sweep: " + points.size() + " points on Spark " + q.sparkMaster());
            done = ScaleOuts.require().runAll(q.sparkMaster(), points, q.log());
        } else {
            done = new ArrayList<>();
            for (int i = 0; i < points.size(); i++) {
                q.log().accept("sweep point " + (i + 1) + "/" + points.size() + ": " + label(r, axes, combos.get(i)));
                done.add(new ScaleOut.Done<>(points.get(i).run(), "this process"));
            }
        }
        double budget = r.budget();
        int best = -1;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < done.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int a = 0; a < axes.size(); a++) row.put(axes.get(a).key(r), combos.get(i).get(a));
            Map<String, Object> s = done.get(i).value().summary();
            row.putAll(s);
            Object drop = s.get("accuracy_drop_points");
            boolean within = drop == null || ((Number) drop).doubleValue() <= budget;
            row.put("within_budget", within);
            row.put("where", done.get(i).where());
            rows.add(row);
            if (within && (best < 0 || coded(s) < coded(done.get(best).value().summary()))) best = i;
        }
        if (best < 0) throw new NnzipException("--sweep: no point stayed within the recipe's max_drop of " + budget + " points; nothing written");
        Result chosen = done.get(best).value();
        AtomicFiles.write(q.output(), chosen.onnx());
        if (q.nnz() != null) AtomicFiles.write(q.nnz(), chosen.nnz());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", q.model().toString());
        out.put("recipe", r.name());
        out.put("output", q.output().toString());
        if (q.nnz() != null) out.put("nnz", q.nnz().toString());
        out.put("max_drop", Double.isInfinite(budget) ? null : budget);
        out.put("chosen", best);
        out.put("chosen_point", label(r, axes, combos.get(best)));
        out.putAll(chosen.summary());
        out.put("points", rows);
        return out;
    }

    private static long coded(Map<String, Object> s) { return ((Number) s.get("coded_bytes")).longValue(); }

    static String label(Recipe r, List<Axis> axes, List<Object> point) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : " ").append(axes.get(i).key(r)).append('=').append(point.get(i));
        return sb.toString();
    }
}
