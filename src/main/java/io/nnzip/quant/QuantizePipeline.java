package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.qdq.QdqWriter;
import io.nnzip.quant.report.LayerReport;
import io.nnzip.quant.report.ModelComparison;
import io.nnzip.quant.report.OrtFusion;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The quantize command's work in order: load calibration/evaluation data, run the chosen scheme (static int8
 * QDQ, with float fallback when a drop bound is set; or a weight-only scheme, optionally fine-tuned), then
 * compare the result with the float model in ONNX Runtime and build the per-layer report.
 */
public final class QuantizePipeline {
    public record Outcome(Model model, Map<String, Object> report) {}

    private final QuantConfig cfg;
    private final Consumer<String> log;
    private final io.nnzip.pass.RemoteTraining remote;

    public QuantizePipeline(QuantConfig cfg, Consumer<String> log) { this(cfg, log, null); }

    /** {@code remote} (null: none) runs int8 --qat data-parallel; other training cannot travel and is refused with it. */
    public QuantizePipeline(QuantConfig cfg, Consumer<String> log, io.nnzip.pass.RemoteTraining remote) {
        this.cfg = cfg;
        this.log = log;
        this.remote = remote;
    }

    /**
     * @param data calibration images (the training split unless own ones are given), labelled validation data for
     *             the comparison and --max-drop (else the calibration images), training data for --qat / --finetune,
     *             and the input normalization
     */
    public Outcome run(Model floatModel, DataSplits data, int latencyBatch) {
        // the scheme's learning rate, resolved before any step records the options in provenance
        if (cfg.lr == null) cfg.lr = cfg.lr();
        Scheme scheme = Scheme.parse(cfg.scheme);
        boolean sixteen = scheme.kind() == Scheme.Kind.FP16 || scheme.kind() == Scheme.Kind.BF16 || scheme.kind() == Scheme.Kind.FIXED16;
        if (sixteen && cfg.qat <= 0 && cfg.finetune <= 0 && !takesImages(floatModel)) return withoutData(floatModel, scheme, data);
        if (floatModel.graph().runtimeInputs().size() != 1) throw new NnzipException("quantize supports models with one input; this one has " + floatModel.graph().runtimeInputs().size());
        Dataset calibSet = data.calibration();
        if (calibSet == null) throw new NnzipException("quantize needs calibration data (--data or --calib-data)");
        Normalization norm = data.normalization(floatModel);
        LabeledData calib = LabeledData.of(calibSet, norm, floatModel, cfg.calibSize);
        Dataset evalSet = data.val();
        LabeledData eval = evalSet == null ? calib : LabeledData.of(evalSet, norm, floatModel, 0);
        log.accept("calibration: " + calib.size() + " samples from " + calibSet.name() + (evalSet == null ? "" : "; evaluation: " + eval.size() + " from " + evalSet.name())
                + (norm.isIdentity() ? "" : "; normalization " + norm));
        Map<String, Object> report = new LinkedHashMap<>();
        floatModel = prepared(floatModel, report);
        Model out;
        Model reference = floatModel;
        // layer outputs are compared by name, so against the prepared graph the layers were quantized in
        Model layerReference = floatModel;
        List<LayerReport.Row> rows;
        Scheme s = Scheme.parse(cfg.scheme);
        if (s.kind() == Scheme.Kind.INT8 && !cfg.weightOnly) {
            StaticInt8Quantizer q = new StaticInt8Quantizer(floatModel, cfg, calib.batches(64));
            if (cfg.qat > 0) {
                io.nnzip.quant.qat.ActivationQat.Result qat = io.nnzip.quant.qat.Int8Qat.run(q, cfg, data.requireTrain("--qat"), norm, remote, log);
                report.put("training", qat.log());
                if (!qat.info().isEmpty()) {
                    report.put("exchange_ratio", qat.info().get("exchange_ratio"));
                    report.put("bytes_per_step", qat.info().get("bytes_per_step"));
                    report.put("spark", qat.info());
                }
            }
            StaticInt8Quantizer.Result r;
            if (cfg.maxDrop >= 0) {
                if (!eval.hasLabels()) throw new NnzipException("--max-drop needs labelled --eval-data");
                SensitivityFallback.Outcome f = SensitivityFallback.run(q, floatModel, eval, cfg.maxDrop, cfg.threads, log);
                r = f.result();
                report.put("fallback", f.fellBack());
                report.put("sensitivity_mse", f.sensitivity());
            } else r = q.quantize();
            out = r.model();
            layerReference = r.prepared();
            report.put("prepare", r.notes());
            rows = int8Rows(r);
            report.put("ort_optimized_ops", OrtFusion.optimizedOpCounts(out, cfg.threads));
        } else if (s.kind() == Scheme.Kind.DYNAMIC_INT8) {
            DynamicInt8Quantizer.Result r = DynamicInt8Quantizer.apply(floatModel, cfg);
            out = r.model();
            rows = r.rows();
            report.put("quantized_layers", r.layers());
            report.put("ort_optimized_ops", OrtFusion.optimizedOpCounts(out, cfg.threads));
            cfg.record(out, Map.of("quantized_layers", r.layers()));
        } else {
            if (remote != null && (cfg.qat > 0 || cfg.finetune > 0))
                throw new NnzipException("--spark trains int8 --qat only; --scheme " + cfg.scheme + (cfg.weightOnly ? " --weight-only" : "") + " trains here: drop --spark");
            WeightSchemes.Applied a = s.kind() == Scheme.Kind.BINARY && !cfg.activations.equals("none")
                    ? io.nnzip.quant.binary.BinaryNet.apply(floatModel, cfg, calib, data, norm, log)
                    : s.kind() == Scheme.Kind.FP16 ? Float16Graph.apply(floatModel, cfg, log)
                    : s.kind() == Scheme.Kind.BITSPLIT ? BitSplitQuantizer.apply(floatModel, s, cfg, calib.batches(64), eval, log)
                    : s.kind() == Scheme.Kind.STT ? io.nnzip.quant.lowbit.SoftThresholdTernary.apply(floatModel, cfg, data, norm, log)
                    : s.kind() == Scheme.Kind.ONEHOT ? io.nnzip.quant.lowbit.OneHotNet.apply(floatModel, s, cfg, calib, data, norm, log)
                    : WeightSchemes.apply(floatModel, s, cfg, data, norm, calib.batches(64), log);
            out = a.model();
            rows = a.rows();
            report.putAll(a.notes());
        }
        Tensor probe = calib.slice(0, Math.min(calib.size(), 256));
        report.put("comparison", ModelComparison.compare(reference, out, eval, latencyBatch, cfg.threads));
        report.put("layers", LayerReport.build(rows, layerReference, out, probe, cfg.threads));
        // after the per-layer report, which finds layer outputs by their original names
        if (cfg.compactsNames()) compactNames(out, report);
        return new Outcome(out, report);
    }

    /**
     * The copy every scheme starts from: a float16 model (model.half() export) widened to float32 exactly (the result
     * takes float32), then canonicalized; the report opens with what was done.
     */
    private Model prepared(Model floatModel, Map<String, Object> report) {
        report.put("scheme", cfg.scheme);
        Model m = floatModel.copy();
        if (Float16Graph.widen(m)) {
            report.put("widened_from_half", true);
            log.accept("the model is float16/bfloat16: widened to float32 (exact) before quantizing");
        }
        report.put("canonicalized", io.nnzip.engine.Canonical.apply(m).stream().map(Object::toString).toList());
        return m;
    }

    /** One float (or half) input of rank 4 (N,C,H,W) or 2 (N, pixels): the images quantize calibrates and compares on. */
    private static boolean takesImages(Model m) {
        java.util.List<io.nnzip.ir.ValueInfo> in = m.graph().runtimeInputs();
        if (in.size() != 1) return false;
        io.nnzip.ir.ValueInfo v = in.getFirst();
        return (v.dtype() == null || v.dtype().isFloating()) && (v.dims() == null || v.dims().size() == 4 || v.dims().size() == 2);
    }

    /**
     * The 16-bit schemes need no calibration: a model whose inputs are not images (token ids, several inputs such as
     * an attention mask) is converted as it is, and the comparison is left to {@code nnzip run} on the user's inputs.
     */
    private Outcome withoutData(Model floatModel, Scheme s, DataSplits data) {
        Map<String, Object> report = new LinkedHashMap<>();
        floatModel = prepared(floatModel, report);
        WeightSchemes.Applied a = s.kind() == Scheme.Kind.FP16 ? Float16Graph.apply(floatModel, cfg, log)
                : WeightSchemes.apply(floatModel, s, cfg, data, null, List.of(), log);
        report.putAll(a.notes());
        String inputs = floatModel.graph().runtimeInputs().stream().map(v -> v.name() + " " + (v.dtype() == null ? "?" : v.dtype().lower())).toList().toString();
        log.accept("inputs " + inputs + " are not images: no calibration or comparison (check outputs with nnzip run)");
        long fb = io.nnzip.onnx.OnnxWriter.toBytes(floatModel).length, qb = io.nnzip.onnx.OnnxWriter.toBytes(a.model()).length;
        Map<String, Object> cmp = new LinkedHashMap<>();
        cmp.put("skipped", "inputs " + inputs + " are not images");
        cmp.put("float_bytes", fb);
        cmp.put("quantized_bytes", qb);
        cmp.put("size_ratio", Math.round(10000.0 * qb / fb) / 10000.0);
        report.put("comparison", cmp);
        if (cfg.compactsNames()) compactNames(a.model(), report);
        return new Outcome(a.model(), report);
    }

    @SuppressWarnings("unchecked")
    private static void compactNames(Model out, Map<String, Object> report) {
        report.put("renamed_values", io.nnzip.ir.CompactNames.apply(out.graph()));
        if (report.get("comparison") instanceof Map<?, ?> c && c.get("float_bytes") instanceof Number fb) {
            long q = io.nnzip.onnx.OnnxWriter.toBytes(out).length;
            ((Map<String, Object>) c).put("quantized_bytes", q);
            ((Map<String, Object>) c).put("size_ratio", Math.round(10000.0 * q / fb.doubleValue()) / 10000.0);
        }
    }

    static List<LayerReport.Row> int8Rows(StaticInt8Quantizer.Result r) {
        List<LayerReport.Row> rows = new ArrayList<>();
        for (QdqWriter.WeightLayer l : r.layers()) {
            float[] sc = l.w().params().scale();
            float lo = Float.MAX_VALUE, hi = 0;
            for (float v : sc) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            Tensor w = r.prepared().graph().initializer(l.weight());
            long bytes = l.w().q().byteSize() + 4L * sc.length + (l.biasDequantized() == null ? 0 : 8L * l.biasDequantized().length);
            rows.add(new LayerReport.Row(l.node().name(), l.node().opType(), l.output(), 8, lo, hi, 0,
                    w.toFloats(), l.w().dequantized(), bytes, "int8 per-" + (sc.length > 1 ? "channel" : "tensor")
                    + (Float.isNaN(l.inputScale()) ? " weights, float compute" : "")));
        }
        return rows;
    }

    public static List<LayerReport.Row> weightRows(List<WeightOnlyQuantizer.Layer> layers) {
        List<LayerReport.Row> rows = new ArrayList<>();
        for (WeightOnlyQuantizer.Layer l : layers)
            rows.add(new LayerReport.Row(l.node().name(), l.node().opType(), l.node().output(0), l.encoded().bits(), l.encoded().minScale(),
                    l.encoded().maxScale(), l.encoded().zeroPoint(), l.original().toFloats(), l.encoded().values(), l.encoded().bytes(), l.encoded().storage()));
        return rows;
    }
}
