package io.nnzip.quant.lowbit;

import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.ops.OneHotOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.QuantizePipeline;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.qat.QuantizedParam;
import io.nnzip.quant.qat.ShadowWeightTrainer;
import io.nnzip.quant.weight.ScaledCodes;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code --scheme onehot:B}: one-hot quantization, every weight and every non-negative layer input a power of two
 * times a scale, i.e. a B-bit word with a single set bit (or 0): weights ±α·2^−e per output channel, activations
 * s·2^−e per tensor, e ∈ 0 … B−1, so a multiplication is a shift. Weights of every Conv/Gemm/MatMul layer; the
 * inputs of those layers that are never negative on calibration data (after ReLU, pooling of ReLU); signed inputs
 * (the image) stay float. Rounding to the nearest level (midpoint thresholds). α per channel and s per tensor start at
 * the weight / calibration MSE optimum; QAT (--qat) trains shadow weights (straight through) and the activation
 * scales (LSQ-style gradient, {@link OneHotOps}).
 * <p>The written ONNX uses standard ops: weights as int8 codes {0, ±1, ±2, …, ±2^(B−1)} → Cast → Mul(α·2^(1−B)),
 * each activation as B Greater/Where steps summed (every partial sum a power of two times s, so the sum is exact:
 * the same values as nnzip's training op).
 */
public final class OneHotNet {
    private OneHotNet() {}

    public static WeightSchemes.Applied apply(Model floatModel, Scheme s, QuantConfig cfg, LabeledData calib, io.nnzip.data.DataSplits splits,
                                              Normalization norm, Consumer<String> log) {
        int bits = s.bits();
        // codes reach ±2^(B−1): int4 holds them up to B = 3
        boolean int4 = io.nnzip.quant.BitSplitQuantizer.int4Container(floatModel, cfg, bits <= 3);
        Model base = floatModel.copy();
        Graph g = base.graph();
        int folded = BatchNormFolder.fold(g);
        for (Node n : g.nodes()) if (n.name().isEmpty()) n.setName(g.freshName(n.opType()));
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        if (ops.isEmpty()) throw new NnzipException("no Conv/Gemm/MatMul weight initializers to quantize");
        List<Node> layers = new ArrayList<>();
        for (Node n : TopoSort.order(g.nodes())) if (ops.containsKey(n)) layers.add(n);
        // activation sites: the distinct non-negative inputs of weight layers
        Tensor x = calib.slice(0, Math.min(256, calib.size()));
        List<String> inputs = layers.stream().map(n -> n.input(0)).distinct().toList();
        Map<String, Tensor> vals = new Executor(base).run(Map.of(g.runtimeInputs().getFirst().name(), x), inputs);
        Map<String, String> quantized = new LinkedHashMap<>();
        Map<String, Object> scales0 = new LinkedHashMap<>();
        List<String> floatInputs = new ArrayList<>();
        for (String in : inputs) {
            float[] v = vals.get(in).toFloats();
            float min = Float.MAX_VALUE;
            for (float f : v) min = Math.min(min, f);
            if (min < 0) {
                floatInputs.add(in);
                continue;
            }
            float sc = bestScale(v, bits);
            String sn = g.freshName(in + "_onehot_scale"), y = g.freshName(in + "_onehot");
            g.initializers().put(sn, Tensor.scalar(sc));
            Node q = new Node(g.freshName(in + "_onehotquant"), OneHotOps.OP, List.of(in, sn), List.of(y));
            q.set(Attribute.of(OneHotOps.BITS, (long) bits));
            g.nodes().add(q);
            quantized.put(in, sn);
            scales0.put(in, sc);
        }
        for (Node n : layers) if (quantized.containsKey(n.input(0))) n.inputs().set(0, outputOf(g, n.input(0)));
        TopoSort.sort(g);
        List<QuantizedParam> shadows = new ArrayList<>();
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (Node n : layers) {
            String w = n.input(1);
            if (seen.put(w, true) != null) continue;
            shadows.add(QuantizedParam.shadow(w, g.initializer(w), ops.get(n), (t, axis) -> ScaledCodes.encode(t, axis, (m, r, c, code) -> codes(m, r, c, bits, code), bits, false, "onehot").values()));
        }
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("batchnorm_folded", folded);
        notes.put("onehot_activations", new ArrayList<>(quantized.keySet()));
        notes.put("float_activations", floatInputs);
        List<String> training = ShadowWeightTrainer.trainOrProject(base, shadows, splits, cfg.trainLimit, norm, cfg.qat, cfg.lr(), cfg.threads, cfg.seed, log);
        if (cfg.qat > 0) notes.put("training", training);
        Map<String, Object> scales = new LinkedHashMap<>();
        quantized.forEach((in, sn) -> scales.put(in, Map.of("initial", scales0.get(in), "trained", g.initializer(sn).toFloats()[0])));
        notes.put("activation_scales", scales);
        Model out = base.copy();
        exportActivations(out.graph());
        if (int4) io.nnzip.quant.weight.OpsetUpgrade.to21(out);
        List<WeightOnlyQuantizer.Layer> encoded = WeightOnlyQuantizer.apply(out, cfg.exclude, (w, axis) -> ScaledCodes.encode(w, axis, (m, r, c, code) -> exactCodes(m, r, c, bits, code), bits, int4, "onehot"));
        notes.put("quantized_layers", encoded.size());
        notes.put("container", (int4 ? "int4 single-set-bit codes → DequantizeLinear (opset 21)" : "int8 single-set-bit codes → Cast → Mul(scale per output channel)")
                + "; activations as Greater/Where steps");
        cfg.record(out, Map.of("onehot_activations", String.join(",", quantized.keySet())));
        log.accept("one-hot " + bits + "-bit: " + encoded.size() + " weight layers, " + quantized.size() + " activations (" + floatInputs.size() + " signed inputs kept float)");
        return new WeightSchemes.Applied(out, base, QuantizePipeline.weightRows(encoded), notes);
    }

    private static String outputOf(Graph g, String in) {
        for (Node n : g.nodes()) if (n.opType().equals(OneHotOps.OP) && n.input(0).equals(in)) return n.output(0);
        throw new IllegalStateException(in);
    }

    /** The scale among max·{1, 0.95, …, 0.1} with the least squared error of the levels on {@code v}. */
    static float bestScale(float[] v, int bits) {
        float max = 0;
        for (float f : v) max = Math.max(max, Math.abs(f));
        if (max == 0) return 1f;
        float best = max;
        double bestE = Double.MAX_VALUE;
        for (int i = 0; i <= 18; i++) {
            float s = max * (1f - 0.05f * i);
            float[] t = OneHotOps.thresholds(s, bits), l = OneHotOps.levels(s, bits);
            double e = 0;
            for (float f : v) {
                float a = Math.abs(f);
                double d = a - l[OneHotOps.level(a, t)];
                e += d * d;
            }
            if (e < bestE) {
                bestE = e;
                best = s;
            }
        }
        return best;
    }

    /**
     * Per row: α among max|w|·{1, 0.95, …, 0.5} with the least squared error; codes sign·2^(k−1) for level k ≥ 1 of
     * |w| (0 for level 0), returned scale α·2^(1−B), so code × scale = ±α·2^(k−B).
     */
    static float[] codes(float[] m, int rows, int cols, int bits, int[] code) {
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(m[o + i]));
            if (max == 0) continue;
            float best = max;
            double bestE = Double.MAX_VALUE;
            for (int c = 0; c <= 10; c++) {
                float a = max * (1f - 0.05f * c);
                float[] t = OneHotOps.thresholds(a, bits), l = OneHotOps.levels(a, bits);
                double e = 0;
                for (int i = 0; i < cols; i++) {
                    float w = Math.abs(m[o + i]);
                    double d = w - l[OneHotOps.level(w, t)];
                    e += d * d;
                }
                if (e < bestE) {
                    bestE = e;
                    best = a;
                }
            }
            float[] t = OneHotOps.thresholds(best, bits);
            for (int i = 0; i < cols; i++) {
                float w = m[o + i];
                int k = OneHotOps.level(Math.abs(w), t);
                code[o + i] = k == 0 ? 0 : (w < 0 ? -1 : 1) << (k - 1);
            }
            scale[r] = Math.scalb(best, 1 - bits);
        }
        return scale;
    }

    /** Codes of rows that already are one-hot values: scale = max|w|·2^(1−B), codes w / scale (each 0 or ±2^j, checked). */
    static float[] exactCodes(float[] m, int rows, int cols, int bits, int[] code) {
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, Math.abs(m[o + i]));
            if (max == 0) continue;
            scale[r] = Math.scalb(max, 1 - bits);
            for (int i = 0; i < cols; i++) {
                int c = Math.round(m[o + i] / scale[r]);
                int a = Math.abs(c);
                if (a != 0 && (Integer.bitCount(a) != 1 || a > 1 << (bits - 1) || c * scale[r] != m[o + i]))
                    throw new IllegalStateException("weight " + m[o + i] + " is not a one-hot level of scale " + scale[r]);
                code[o + i] = c;
            }
        }
        return scale;
    }

    /** Each OneHotQuant(x, s) → Σ_k Where(x > t_k, inc_k, 0): the levels as a staircase of exact partial sums. */
    public static void exportActivations(Graph g) {
        String zero = g.freshName("onehot_zero");
        g.initializers().put(zero, Tensor.scalar(0f));
        List<Node> added = new ArrayList<>();
        List<Node> removed = new ArrayList<>();
        for (Node q : g.nodes()) {
            if (!q.opType().equals(OneHotOps.OP)) continue;
            int bits = (int) q.attrInt(OneHotOps.BITS, 4);
            float s = g.initializer(q.input(1)).toFloats()[0];
            float[] t = OneHotOps.thresholds(s, bits), l = OneHotOps.levels(s, bits);
            String x = q.input(0), acc = null;
            for (int k = 0; k < bits; k++) {
                // level k+1 = level k + inc: inc = level 1 for k = 0, else level k (levels double)
                float inc = k == 0 ? l[1] : l[k];
                String tn = g.freshName(q.name() + "_t" + k), in = g.freshName(q.name() + "_inc" + k);
                g.initializers().put(tn, Tensor.scalar(t[k]));
                g.initializers().put(in, Tensor.scalar(inc));
                String above = g.freshName(q.name() + "_above" + k), step = g.freshName(q.name() + "_step" + k);
                added.add(new Node(g.freshName(q.name() + "_greater" + k), "Greater", List.of(x, tn), List.of(above)));
                boolean last = k == bits - 1;
                String stepOut = bits == 1 ? q.output(0) : step;
                added.add(new Node(g.freshName(q.name() + "_where" + k), "Where", List.of(above, in, zero), List.of(stepOut)));
                if (acc == null) acc = stepOut;
                else {
                    String sum = last ? q.output(0) : g.freshName(q.name() + "_sum" + k);
                    added.add(new Node(g.freshName(q.name() + "_add" + k), "Add", List.of(acc, step), List.of(sum)));
                    acc = sum;
                }
            }
            removed.add(q);
        }
        g.nodes().removeAll(removed);
        g.nodes().addAll(added);
        g.removeUnusedInitializers();
        TopoSort.sort(g);
    }
}
