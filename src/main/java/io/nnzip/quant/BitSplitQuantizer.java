package io.nnzip.quant;

import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.report.Predictions;
import io.nnzip.quant.weight.BitSplit;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.Gptq;
import io.nnzip.quant.weight.GroupedInts;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import io.nnzip.quant.weight.OpsetUpgrade;
import io.nnzip.quant.weight.ScaledCodes;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * {@code --scheme bitsplit:B}: bit-split-and-stitching post-training weight quantization ({@link BitSplit}), no
 * retraining. Each Conv (group 1) / Gemm (transB) layer's input second moments H = Σ x xᵀ are gathered on the
 * calibration images in nnzip's engine (im2col patches for convs, the codec's {@link ErrorCompensation#hessians}); other
 * weight layers use the weight error. Weights are B-bit symmetric integers times one scale per output channel,
 * activations stay float. The report compares, per layer and in accuracy (ONNX Runtime on the same evaluation data),
 * with plain nearest rounding on the max-range grid and with GPTQ's error compensation at the same bits
 * (per-channel, asymmetric).
 */
public final class BitSplitQuantizer {
    /** Rounds of (α, every plane) per output channel; the descent usually settles in 3–6. */
    static final int ITERS = 12;

    private BitSplitQuantizer() {}

    public static WeightSchemes.Applied apply(Model floatModel, Scheme s, QuantConfig cfg, List<Tensor> calib, LabeledData eval, Consumer<String> log) {
        int bits = s.bits();
        boolean int4 = int4Container(floatModel, cfg, bits <= 4);
        Model base = floatModel.copy();
        int folded = BatchNormFolder.fold(base.graph());
        Graph g = base.graph();
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        if (ops.isEmpty()) throw new NnzipException("no Conv/Gemm/MatMul weight initializers to quantize");
        java.util.Set<String> targets = new java.util.LinkedHashSet<>();
        ops.keySet().forEach(n -> targets.add(n.input(1)));
        long t0 = System.nanoTime();
        Map<String, double[]> hs = ErrorCompensation.hessians(base, targets, calib);
        Map<String, BitSplit.Result> splits = new LinkedHashMap<>();
        Map<String, int[]> rounded = new LinkedHashMap<>();
        Map<String, float[]> roundedAlpha = new LinkedHashMap<>();
        Map<String, GroupedInts> gptq = new LinkedHashMap<>();
        Map<String, Object> perLayer = new LinkedHashMap<>();
        double sumB = 0, sumR = 0, sumG = 0;
        for (Map.Entry<Node, Integer> e : ops.entrySet()) {
            String name = e.getKey().input(1);
            if (splits.containsKey(name)) continue;
            Tensor w = g.initializer(name);
            float[] m = ScaledCodes.rows(w, e.getValue());
            int rows = ScaledCodes.rowCount(w, e.getValue()), cols = m.length / rows;
            double[] h = hs.get(name);
            BitSplit.Result r = BitSplit.quantize(m, rows, cols, h, bits, ITERS);
            splits.put(name, r);
            int[] q = new int[m.length];
            float[] a = plainRounding(m, rows, cols, bits, q);
            rounded.put(name, q);
            roundedAlpha.put(name, a);
            double[] hh = h != null ? h : identity(cols);
            double eb = Gptq.outputError(m, r.decoded(), rows, cols, hh), er = Gptq.outputError(m, decode(q, a, cols), rows, cols, hh);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("calibrated", h != null);
            row.put("error_vs_rounding", er > 0 ? round4(eb / er) : 1.0);
            if (h != null) {
                GroupedInts gi = Gptq.quantize(m, rows, cols, h, cols, bits, cfg.gptqDamp);
                gptq.put(name, gi);
                double eg = Gptq.outputError(m, gi.decoded(), rows, cols, h);
                row.put("gptq_error_vs_rounding", er > 0 ? round4(eg / er) : 1.0);
                sumG += eg;
            } else sumG += er;
            sumB += eb;
            sumR += er;
            perLayer.put(e.getKey().name(), row);
        }
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("batchnorm_folded", folded);
        notes.put("bitsplit_layers", perLayer);
        notes.put("bitsplit_error_vs_rounding", sumR > 0 ? round4(sumB / sumR) : 1.0);
        notes.put("gptq_error_vs_rounding", sumR > 0 ? round4(sumG / sumR) : 1.0);
        notes.put("bitsplit_seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        log.accept(String.format("bit-split %d-bit: %d layers, calibration output error %.3f× plain rounding's (GPTQ %.3f×)", bits, splits.size(),
                sumR > 0 ? sumB / sumR : 1.0, sumR > 0 ? sumG / sumR : 1.0));

        Emitted main = emit(base, cfg, int4, (w, axis, names) -> {
            BitSplit.Result r = splits.get(names.get(w));
            return ScaledCodes.encode(w, axis, (mm, rows, cols, codes) -> {
                System.arraycopy(r.q(), 0, codes, 0, codes.length);
                return r.alpha();
            }, bits, int4, "bitsplit");
        });
        Model out = main.model();
        notes.put("quantized_layers", main.layers().size());
        if (eval.hasLabels()) {
            // the two baselines at the same bits, written the same way and run in ONNX Runtime
            Model rm = emit(base, cfg, int4, (w, axis, names) -> ScaledCodes.encode(w, axis, (mm, rows, cols, codes) -> {
                System.arraycopy(rounded.get(names.get(w)), 0, codes, 0, codes.length);
                return roundedAlpha.get(names.get(w));
            }, bits, int4, "rounded")).model();
            Model gm = emit(base, cfg, false, (w, axis, names) -> {
                GroupedInts gi = gptq.get(names.get(w));
                GroupedLinearQuantizer glq = new GroupedLinearQuantizer(bits, 1 << 20, false);
                return gi == null ? ScaledCodes.encode(w, axis, (mm, rows, cols, codes) -> {
                    System.arraycopy(rounded.get(names.get(w)), 0, codes, 0, codes.length);
                    return roundedAlpha.get(names.get(w));
                }, bits, false, "rounded") : glq.encode(w, axis, gi);
            }).model();
            Map<String, Object> acc = new LinkedHashMap<>();
            acc.put("plain_rounding_accuracy", round4(Predictions.of(rm, eval, 256, cfg.threads).accuracy(eval.labels()) / 100));
            acc.put("gptq_accuracy", round4(Predictions.of(gm, eval, 256, cfg.threads).accuracy(eval.labels()) / 100));
            notes.put("baselines", acc);
            log.accept("same bits: plain rounding " + acc.get("plain_rounding_accuracy") + ", GPTQ " + acc.get("gptq_accuracy") + " (ONNX Runtime)");
        }
        cfg.record(out, Map.of("container_used", int4 ? "int4" : "int8"));
        return new WeightSchemes.Applied(out, base, QuantizePipeline.weightRows(main.layers()), notes);
    }

    /** A written model and its encoded layers. */
    record Emitted(Model model, List<WeightOnlyQuantizer.Layer> layers) {}

    /** An encoder that also sees the weight's initializer name. */
    @FunctionalInterface
    interface NamedEncoder {
        EncodedWeight encode(Tensor w, int axis, Map<Tensor, String> names);
    }

    /** A copy of {@code base} with every weight encoded (opset 21 first for int4 containers). */
    static Emitted emit(Model base, QuantConfig cfg, boolean int4, NamedEncoder enc) {
        Model out = base.copy();
        if (int4) OpsetUpgrade.to21(out);
        Map<Tensor, String> names = new IdentityHashMap<>();
        out.graph().initializers().forEach((k, v) -> names.put(v, k));
        BiFunction<Tensor, Integer, EncodedWeight> f = (w, axis) -> enc.encode(w, axis, names);
        return new Emitted(out, WeightOnlyQuantizer.apply(out, cfg.exclude, f));
    }

    /** int4 DequantizeLinear codes with --container int4 (opset 21; {@code fits}: every code in [−8, 7]), else int8 codes behind Cast → Mul. */
    public static boolean int4Container(Model m, QuantConfig cfg, boolean fits) {
        return switch (cfg.container) {
            case "auto", "int8" -> false;
            case "int4" -> {
                if (!fits) throw new NnzipException("--container int4 needs codes in [−8, 7]: --scheme " + cfg.scheme + " has wider ones; use int8");
                if (!OpsetUpgrade.canUpgrade(m)) throw new NnzipException("--container int4 needs opset 21; this model (opset " + m.opset() + ") has ops nnzip does not upgrade");
                yield true;
            }
            default -> throw new NnzipException("--scheme " + cfg.scheme + " stores int8 or int4 codes: --container must be auto, int8 or int4, not '" + cfg.container + "'");
        };
    }

    /** Symmetric nearest rounding with α = max|w| / (2^(B−1) − 1) per row: the plain baseline. */
    static float[] plainRounding(float[] m, int rows, int cols, int bits, int[] q) {
        int qm = BitSplit.qmax(bits);
        float[] a = new float[rows];
        double[] row = new double[cols];
        int[] qr = new int[cols];
        for (int r = 0; r < rows; r++) {
            double max = 0;
            for (int j = 0; j < cols; j++) max = Math.max(max, Math.abs(row[j] = m[r * cols + j]));
            if (max == 0) continue;
            a[r] = (float) (max / qm);
            BitSplit.round(row, a[r], qm, qr);
            System.arraycopy(qr, 0, q, r * cols, cols);
        }
        return a;
    }

    private static float[] decode(int[] q, float[] a, int cols) {
        float[] d = new float[q.length];
        for (int i = 0; i < q.length; i++) d[i] = q[i] * a[i / cols];
        return d;
    }

    private static double[] identity(int n) {
        double[] h = new double[n * n];
        for (int i = 0; i < n; i++) h[i * n + i] = 1;
        return h;
    }

    private static double round4(double v) { return Math.round(v * 10000) / 10000.0; }
}
