package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.EncodeConfig;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.engine.ModelValidator;
import io.nnzip.pipeline.Gate;
import io.nnzip.pipeline.Measurement;
import io.nnzip.pass.PassContext;
import io.nnzip.pipeline.Pipeline;
import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import io.nnzip.quant.qdq.LinearPlacement;
import io.nnzip.pipeline.StepRecord;
import io.nnzip.pipeline.report.HtmlReport;
import io.nnzip.train.Evaluator;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = {"Runs a compression recipe: every step is a pass (prune, quantize, factorize, distill, train) with its options, and after each the model must run in ONNX Runtime,",
                "agree with the previous step and stay within the recipe's accuracy budget, or the step is retried gentler or rolled back."})
public final class CompressCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to compress.")
    Path model;

    @Option(names = "--recipe", required = true, description = "A built-in recipe (see 'nnzip recipes') or a recipe YAML file.")
    String recipe;

    @Mixin
    DataOptions data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx", description = "The compressed ONNX model.")
    Path output;

    @Option(names = "--nnz", paramLabel = "OUT.nnz", description = "Also write the final model as a .nnz bitstream (recipe's encode options); with --data its decoded accuracy is measured too, and a lossy encode past the recipe's max_drop is redone finer.")
    Path nnz;

    @Option(names = "--report", paramLabel = "REPORT.html", description = "Write a self-contained HTML report.")
    Path report;

    @Option(names = "--work-dir", description = "Where intermediate models go (default: a folder next to the output, removed afterwards).")
    Path workDir;

    @Mixin
    SparkTraining spark;

    @Option(names = "--sweep", paramLabel = "STEP.OPTION=V1,V2,...",
            description = "Run the recipe once per combination of these option values (repeatable); write the smallest coded result within the recipe's max_drop. With --spark each point is a Spark task.")
    List<String> sweep;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads for gates (default: all cores).")
    int threads = OptionRules.CORES;

    @Option(names = "--val-images", paramLabel = "N",
            description = "Gate every step on the last N training images, held out from all fine-tuning, instead of the test split; the test split then measures only the input and the result (accuracy_* in the JSON; the gates' figures are val_accuracy_*). Default: the gates measure the test split.")
    Integer valImages;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Recipe r = Recipes.resolve(recipe);
        // a recipe's transformer settings replace its own on a transformer: the sweep's axes and the report name those
        Recipe resolved = r.transformer() == null ? r : r.forModel(ModelValidator.read(model).graph());
        if (valImages != null && sweep != null && !sweep.isEmpty()) throw new NnzipException("--val-images is not supported with --sweep yet");
        if (sweep != null && !sweep.isEmpty()) {
            if (report != null) throw new NnzipException("--report is not written for a --sweep (the JSON lists every point)");
            return CompressSweep.run(resolved, sweep, model, output, nnz, data, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), spark.spark, this::note);
        }
        io.nnzip.pass.RemoteTraining remote = spark.remote(data.data, data.limit);
        Outcome o = run(r, model, output, nnz, workDir, data, valImages == null ? 0 : valImages, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), remote, this::note);
        if (report != null) {
            HtmlReport.write(report, model.getFileName().toString(), resolved, o.result());
            o.json().put("report", report.toAbsolutePath().toString());
        }
        return o.json();
    }

    /** A finished run: the pipeline's record and the JSON summary. */
    record Outcome(Pipeline.Result result, Map<String, Object> json) {}

    /** @param remote where fine-tuning steps run (null: in this process) */
    static Outcome run(Recipe r, Path model, Path output, Path nnz, Path workDir, DataOptions data, int threads,
                       io.nnzip.pass.RemoteTraining remote, java.util.function.Consumer<String> log) throws Exception {
        return run(r, model, output, nnz, workDir, data, 0, threads, remote, log);
    }

    /** @param valImages the last N training images gate every step instead of the test split (0: the test split gates) */
    static Outcome run(Recipe r, Path model, Path output, Path nnz, Path workDir, DataOptions data, int valImages, int threads,
                       io.nnzip.pass.RemoteTraining remote, java.util.function.Consumer<String> log) throws Exception {
        Model input = ModelValidator.read(model);
        Recipe given = r;
        r = r.forModel(input.graph());
        io.nnzip.data.DataSplits splits = data.splits();
        if (valImages > 0) {
            if (data.data == null || data.data.isBlank()) throw new NnzipException("--val-images needs --data");
            splits = splits.holdingOut(valImages);
            log.accept("gates: the last " + valImages + " training images (" + splits.val().name() + "), held out from fine-tuning; the test split measures only the input and the result");
        }
        PassContext ctx = data.context(1).data(splits).threads(threads).log(log).remote(remote).build();
        Pipeline pipeline = Pipeline.of(input, ctx);
        boolean ownWork = workDir == null;
        Path work = ownWork ? Files.createTempDirectory(output.toAbsolutePath().getParent(), ".nnzip-work-") : workDir;
        Files.createDirectories(work);
        try {
            Pipeline.Result res = pipeline.run(model, r, ctx, work);
            AtomicFiles.write(output, Files.readAllBytes(res.finalModel()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.toString());
            out.put("recipe", r.name());
            if (given.transformer() != null && LinearPlacement.isTransformer(input.graph())) out.put("recipe_variant", "transformer");
            out.put("output", output.toString());
            EncodeConfig enc = r.encoding();
            Model result = nnz == null ? null : io.nnzip.pass.Provenance.keep(ModelValidator.read(output), enc.provenance());
            if (nnz != null) {
                writeNnz(nnz, input, result, enc, threads);
                out.put("nnz", nnz.toString());
            }
            out.putAll(summary(res, Files.size(model), nnz == null ? null : Files.size(nnz)));
            if (valImages > 0) out.putAll(testAccuracies(out, input, ModelValidator.read(output), data.splits(), threads));
            if (nnz != null && out.get("accuracy_before") instanceof Number before) {
                Map<String, Object> shipped = shippedAccuracy(nnz, input, before.doubleValue(), data.splits(), threads);
                // The gates held the written ONNX to the budget; a lossy encode must not take the shipped file past it.
                // Only where the gates measured the same split (no --val-images): finer floats, then lossless.
                double budget = r.maxDrop() == null ? Double.POSITIVE_INFINITY : r.maxDrop();
                for (EncodeConfig finer : finerEncodings(enc)) {
                    if (valImages > 0 || !((Double) shipped.get("nnz_accuracy_drop_points") > budget)) break;
                    log.accept(String.format("the decoded .nnz is %.2f points below the input (budget %.2f): coding again with %s",
                            (Double) shipped.get("nnz_accuracy_drop_points"), budget, finer.lossless() ? "lossless" : "float_mantissa=" + finer.floatMantissa()));
                    writeNnz(nnz, input, result, finer, threads); // finer keeps enc's provenance setting
                    shipped = shippedAccuracy(nnz, input, before.doubleValue(), data.splits(), threads);
                    shipped.put("nnz_encoding", finer.lossless() ? "lossless" : "float_mantissa=" + finer.floatMantissa());
                    out.putAll(summary(res, Files.size(model), Files.size(nnz)));
                }
                out.putAll(shipped);
            }
            if (nnz != null) out.put("nnz_bytes", Files.size(nnz));
            out.put("steps", stepsJson(res.steps()));
            return new Outcome(res, out);
        } finally {
            if (ownWork) io.nnzip.util.AtomicFiles.deleteTree(work);
        }
    }

    /**
     * With held-out gates: the summary's accuracies (measured by the gates on the held-out images) renamed val_*, and
     * accuracy_before/after/drop measured on the test split in ONNX Runtime, on the input and on the result only.
     */
    /** A validation score this far above the test split's (points) says the input model saw the validation images. */
    static final double VAL_GAP_POINTS = 1.5;

    static Map<String, Object> testAccuracies(Map<String, Object> out, Model input, Model result, io.nnzip.data.DataSplits plain, int threads) {
        Map<String, Object> t = new LinkedHashMap<>();
        for (String k : List.of("accuracy_before", "accuracy_after", "accuracy_drop_points")) {
            Object v = out.remove(k);
            if (v != null) t.put("val_" + k, v);
        }
        Dataset test = plain.requireVal("compress --val-images (the test split)");
        double before = testAccuracy(input, test, plain, threads), after = testAccuracy(result, test, plain, threads);
        t.put("accuracy_before", before);
        t.put("accuracy_after", after);
        t.put("accuracy_drop_points", 100 * (before - after));
        t.put("accuracy_split", test.name() + ", " + test.size() + " images (the gates never saw it)");
        // a model trained on the held-out images scores far higher on them than on the test split; fine-tuning without
        // them then lowers that score, and the gates judge forgetting instead of compression
        if (t.get("val_accuracy_before") instanceof Number vb && 100 * (vb.doubleValue() - before) > VAL_GAP_POINTS)
            t.put("validation_warning", String.format("the input scores %.2f %% on the held-out validation images and %.2f %% on the test split: "
                    + "it was probably trained on them, so every gate measures how much fine-tuning without them forgets; "
                    + "give --val-images only for a model trained without the last N training images", 100 * vb.doubleValue(), 100 * before));
        return t;
    }

    // "encode: {diff: true}" ships the result as its difference against the input model
    private static void writeNnz(Path nnz, Model input, Model result, EncodeConfig enc, int threads) throws java.io.IOException {
        CodecOptions co = enc.options(result, threads);
        if (enc.diff()) AtomicFiles.write(nnz, os -> DiffEncoder.diff(input, result, co, false, os));
        else AtomicFiles.write(nnz, NnzCodec.encode(result, co));
    }

    /** Codings of the recipe's result that lose less than {@code enc}: the codec's default float mantissa, then lossless. */
    static List<EncodeConfig> finerEncodings(EncodeConfig enc) {
        List<EncodeConfig> l = new ArrayList<>();
        if (enc.lossless()) return l;
        if (enc.floatMantissa() < CodecOptions.REDUCED_MANTISSA)
            l.add(new EncodeConfig(enc.diff(), false, enc.qp(), enc.perChannel(), enc.rounding(), enc.equalSteps(), enc.quantizer(), enc.qpOf(), enc.provenance(), CodecOptions.REDUCED_MANTISSA));
        l.add(new EncodeConfig(enc.diff(), true, enc.qp(), false, null, enc.equalSteps(), enc.quantizer(), null, enc.provenance(), CodecOptions.REDUCED_MANTISSA));
        return l;
    }

    /**
     * What the receiver of the .nnz gets, measured: the stream decoded (patched onto the input for a difference) and
     * evaluated in ONNX Runtime on the test split. The gates measured the written ONNX; a lossy encode (the recipe's
     * float_mantissa, a QP) moves accuracy once more, and the file shipped is the .nnz.
     */
    static Map<String, Object> shippedAccuracy(Path nnz, Model input, double before, io.nnzip.data.DataSplits plain, int threads) throws java.io.IOException {
        byte[] b = Files.readAllBytes(nnz);
        Model decoded = new io.nnzip.codec.format.NnzReader(b, nnz.toString()).header().kind == io.nnzip.codec.format.NnzFormat.KIND_UPDATE
                ? NnzCodec.patch(input, b) : NnzCodec.decode(b);
        double after = testAccuracy(decoded, plain.requireVal("compress --nnz (accuracy of the decoded stream)"), plain, threads);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("nnz_accuracy", after);
        t.put("nnz_accuracy_drop_points", 100 * (before - after));
        return t;
    }

    private static double testAccuracy(Model m, Dataset test, io.nnzip.data.DataSplits plain, int threads) {
        try (OrtRunner ort = new OrtRunner(m, threads)) {
            return Evaluator.evaluate(Evaluator.ort(m, ort), test, plain.normalization(m), 256).accuracy();
        }
    }

    static Map<String, Object> summary(Pipeline.Result res, long inputBytes, Long nnzBytes) {
        Measurement a = res.baseline(), b = res.last();
        Map<String, Object> s = new LinkedHashMap<>();
        if (a.accuracy() != null) {
            // the gate counts in percent; JSON accuracies are fractions, drops are points and say so (docs/CLI.md)
            s.put("accuracy_before", a.accuracy() / 100);
            s.put("accuracy_after", b.accuracy() / 100);
            s.put("accuracy_drop_points", a.accuracy() - b.accuracy());
        }
        s.put("params_before", a.params());
        s.put("params_after", b.params());
        s.put("macs_before", a.macs());
        s.put("macs_after", b.macs());
        s.put("file_bytes_before", inputBytes);
        s.put("file_bytes_after", b.fileBytes());
        long coded = nnzBytes != null ? nnzBytes : b.codedBytes();
        s.put("coded_bytes", coded);
        s.put("compression_ratio", (double) inputBytes / coded);
        s.put("ort_ms_before", a.ortMs());
        s.put("ort_ms_after", b.ortMs());
        s.put("latency_ratio", b.ortMs() / a.ortMs());
        return s;
    }

    static List<Map<String, Object>> stepsJson(List<StepRecord> steps) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StepRecord st : steps) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("step", st.step());
            x.put("args", st.args());
            x.put("status", st.status());
            x.put("attempts", st.attempts());
            x.put("measurement", st.measurement());
            out.add(x);
        }
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        if (r.containsKey("points")) printSweep(r, out);
        else printTable(r, out);
    }

    @SuppressWarnings("unchecked")
    static void printSweep(Map<String, Object> r, PrintStream out) {
        out.printf("%s with recipe %s, swept:%n", r.get("model"), r.get("recipe"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) r.get("points");
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> p = rows.get(i);
            // the step status shows when the recipe's own gate rolled a point's step back (its result is then the input)
            out.printf("  %s%-3d coded %,10d B  x%6.1f  drop %6s pts  %s%s%n", i == ((Number) r.get("chosen")).intValue() ? "*" : " ", i,
                    ((Number) p.get("coded_bytes")).longValue(), ((Number) p.get("compression_ratio")).doubleValue(),
                    p.get("accuracy_drop_points") == null ? "-" : String.format("%.2f", ((Number) p.get("accuracy_drop_points")).doubleValue()),
                    p.get("within_budget").equals(Boolean.TRUE) ? "" : "(over budget) ", p.get("step_status"));
        }
        out.printf("  chosen: %s -> %s%n", r.get("chosen_point"), r.get("output"));
    }

    @SuppressWarnings("unchecked")
    static void printTable(Map<String, Object> r, PrintStream out) {
        out.printf("%s with recipe %s%n", r.get("model"), r.get("recipe"));
        out.printf("  %-3s %-44s %-18s %10s %12s %10s %10s %9s %8s%n", "#", "step", "status", "params", "MACs", "file KiB", "coded KiB", "acc %", "ORT ms");
        List<Map<String, Object>> steps = (List<Map<String, Object>>) r.get("steps");
        for (int i = 0; i < steps.size(); i++) {
            Map<String, Object> s = steps.get(i);
            Measurement m = (Measurement) s.get("measurement");
            String name = (s.get("step") + " " + s.get("args")).trim();
            if (name.length() > 44) name = name.substring(0, 41) + "...";
            out.printf("  %-3d %-44s %-18s %,10d %,12d %10.1f %10s %9s %8.2f%n", i, name, s.get("status"), m.params(), m.macs(), m.fileBytes() / 1024.0,
                    m.codedBytes() == null ? "-" : String.format("%.1f", m.codedBytes() / 1024.0), m.accuracy() == null ? "-" : String.format("%.2f", m.accuracy()), m.ortMs());
        }
        out.printf("  compression %.1fx (float ONNX %,d B -> coded %,d B)", (Double) r.get("compression_ratio"), (Long) r.get("file_bytes_before"), (Long) r.get("coded_bytes"));
        if (r.containsKey("accuracy_drop_points")) out.printf(", accuracy %.2f%% -> %.2f%%", 100 * (Double) r.get("accuracy_before"), 100 * (Double) r.get("accuracy_after"));
        if (r.get("nnz_accuracy") instanceof Double a) out.printf(" (decoded .nnz %.2f%%)", 100 * a);
        out.printf(", ORT latency x%.2f%n", (Double) r.get("latency_ratio"));
        if (r.containsKey("report")) out.println("  report: " + r.get("report"));
    }
}
