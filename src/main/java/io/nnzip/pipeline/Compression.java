package io.nnzip.pipeline;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.EncodeConfig;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.engine.ModelValidator;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.RemoteTraining;
import io.nnzip.quant.qdq.LinearPlacement;
import io.nnzip.train.Evaluator;
import io.nnzip.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One compression run as a user asks for it: the recipe's pipeline on a model file, the result written, and — when a
 * .nnz is asked for — the stream written and its decoded accuracy measured, coded again finer when a lossy encode
 * takes it past the recipe's budget. The summary is plain JSON values (fractions for accuracies, points for drops).
 */
public final class Compression {
    /** A finished run: the pipeline's record and the JSON summary. */
    public record Outcome(Pipeline.Result result, Map<String, Object> json) {}

    /**
     * What to run and where the files go.
     *
     * @param nnz       also write the result as a .nnz there (null: not)
     * @param workDir   intermediate models (null: a folder next to the output, removed afterwards)
     * @param valImages the last N training images gate every step instead of the test split (0: the test split gates)
     * @param remote    where fine-tuning steps run (null: in this process)
     */
    public record Request(Recipe recipe, Path model, Path output, Path nnz, Path workDir, DataSplits data, int valImages, int threads,
                          RemoteTraining remote, Consumer<String> log) {}

    /** A validation score this far above the test split's (points) says the input model saw the validation images. */
    static final double VAL_GAP_POINTS = 1.5;

    private Compression() {}

    public static Outcome run(Request q) throws IOException {
        Consumer<String> log = q.log();
        Model input = ModelValidator.read(q.model());
        Recipe r = q.recipe().forModel(input.graph());
        DataSplits splits = q.data();
        if (q.valImages() > 0) {
            splits = splits.holdingOut(q.valImages());
            log.accept("gates: the last " + q.valImages() + " training images (" + splits.val().name() + "), held out from fine-tuning; the test split measures only the input and the result");
        }
        PassContext ctx = PassContext.builder().data(splits).seed(1).threads(q.threads()).log(log).remote(q.remote()).build();
        Pipeline pipeline = Pipeline.of(input, ctx);
        boolean ownWork = q.workDir() == null;
        Path work = ownWork ? Files.createTempDirectory(q.output().toAbsolutePath().getParent(), ".nnzip-work-") : q.workDir();
        Files.createDirectories(work);
        try {
            Pipeline.Result res = pipeline.run(q.model(), r, ctx, work);
            AtomicFiles.write(q.output(), Files.readAllBytes(res.finalModel()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", q.model().toString());
            out.put("recipe", r.name());
            if (q.recipe().transformer() != null && LinearPlacement.isTransformer(input.graph())) out.put("recipe_variant", "transformer");
            out.put("output", q.output().toString());
            Path nnz = q.nnz();
            EncodeConfig enc = r.encoding();
            Model result = nnz == null ? null : Provenance.keep(ModelValidator.read(q.output()), enc.provenance());
            if (nnz != null) {
                writeNnz(nnz, input, result, enc, q.threads());
                out.put("nnz", nnz.toString());
            }
            long inputBytes = Files.size(q.model());
            out.putAll(summary(res, inputBytes, nnz == null ? null : Files.size(nnz)));
            if (q.valImages() > 0) out.putAll(testAccuracies(out, input, ModelValidator.read(q.output()), q.data(), q.threads()));
            if (nnz != null && out.get("accuracy_before") instanceof Number before) {
                Map<String, Object> shipped = shippedAccuracy(nnz, input, before.doubleValue(), q.data(), q.threads());
                // The gates held the written ONNX to the budget; a lossy encode must not take the shipped file past it.
                // Only where the gates measured the same split (no held-out images): finer floats, then lossless.
                double budget = r.maxDrop() == null ? Double.POSITIVE_INFINITY : r.maxDrop();
                for (EncodeConfig finer : finerEncodings(enc)) {
                    if (q.valImages() > 0 || !((Double) shipped.get("nnz_accuracy_drop_points") > budget)) break;
                    log.accept(String.format("the decoded .nnz is %.2f points below the input (budget %.2f): coding again with %s",
                            (Double) shipped.get("nnz_accuracy_drop_points"), budget, finer.lossless() ? "lossless" : "float_mantissa=" + finer.floatMantissa()));
                    writeNnz(nnz, input, result, finer, q.threads()); // finer keeps enc's provenance setting
                    shipped = shippedAccuracy(nnz, input, before.doubleValue(), q.data(), q.threads());
                    shipped.put("nnz_encoding", finer.lossless() ? "lossless" : "float_mantissa=" + finer.floatMantissa());
                    out.putAll(summary(res, inputBytes, Files.size(nnz)));
                }
                out.putAll(shipped);
            }
            if (nnz != null) out.put("nnz_bytes", Files.size(nnz));
            out.put("steps", stepsJson(res.steps()));
            return new Outcome(res, out);
        } finally {
            if (ownWork) AtomicFiles.deleteTree(work);
        }
    }

    /**
     * With held-out gates: the summary's accuracies (measured by the gates on the held-out images) renamed val_*, and
     * accuracy_before/after/drop measured on the test split in ONNX Runtime, on the input and on the result only.
     */
    static Map<String, Object> testAccuracies(Map<String, Object> out, Model input, Model result, DataSplits plain, int threads) {
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
    private static void writeNnz(Path nnz, Model input, Model result, EncodeConfig enc, int threads) throws IOException {
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
    static Map<String, Object> shippedAccuracy(Path nnz, Model input, double before, DataSplits plain, int threads) throws IOException {
        byte[] b = Files.readAllBytes(nnz);
        Model decoded = new NnzReader(b, nnz.toString()).header().kind == NnzFormat.KIND_UPDATE ? NnzCodec.patch(input, b) : NnzCodec.decode(b);
        double after = testAccuracy(decoded, plain.requireVal("compress --nnz (accuracy of the decoded stream)"), plain, threads);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("nnz_accuracy", after);
        t.put("nnz_accuracy_drop_points", 100 * (before - after));
        return t;
    }

    private static double testAccuracy(Model m, Dataset test, DataSplits plain, int threads) {
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
}
