package io.nnzip.quant.lowbit;

import io.nnzip.data.Normalization;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.QuantizePipeline;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.qat.QuantizedParam;
import io.nnzip.quant.qat.ShadowWeightTrainer;
import io.nnzip.quant.weight.ScaledCodes;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import io.nnzip.train.Param;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code --scheme stt}: soft-threshold ternary weights (Xu et al., "Soft Threshold Ternary Networks", IJCAI 2020).
 * Each weight layer trains two binary kernels W₁, W₂ and computes with their sum, w = α·(sign W₁ + sign W₂)/2 ∈
 * {−α, 0, α} per output channel: a weight is 0 where the two kernels disagree, so the threshold between 0 and ±α is
 * not a hand-set Δ but falls out of training. They start at W₁ = w − Δ, W₂ = w + Δ with TWN's Δ = 0.7·mean|w| (the
 * ternary network of threshold Δ), α is the least-squares scale of the ternary pattern against (W₁ + W₂)/2, and
 * each kernel gets the straight-through gradient inside its own clipping window (3 × its channel's mean |W|), so
 * the kernels, and with them the zero region, move apart. After training the two are merged into one ternary kernel,
 * stored as int8 codes {−1, 0, 1} → Cast → Mul(α). Activations stay float.
 */
public final class SoftThresholdTernary {
    private SoftThresholdTernary() {}

    public static WeightSchemes.Applied apply(Model floatModel, QuantConfig cfg, io.nnzip.data.DataSplits splits, Normalization norm, Consumer<String> log) {
        boolean int4 = io.nnzip.quant.BitSplitQuantizer.int4Container(floatModel, cfg, true);
        Model base = floatModel.copy();
        Graph g = base.graph();
        int folded = BatchNormFolder.fold(g);
        Map<Node, Integer> ops = WeightOnlyQuantizer.weightOps(g, cfg.exclude);
        if (ops.isEmpty()) throw new NnzipException("no Conv/Gemm/MatMul weight initializers to ternarize");
        List<QuantizedParam> kernels = new ArrayList<>();
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (Map.Entry<Node, Integer> e : ops.entrySet()) {
            String w = e.getKey().input(1);
            if (seen.put(w, true) != null) continue;
            kernels.add(new Pair(w, g.initializer(w), e.getValue()));
        }
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("batchnorm_folded", folded);
        List<String> training = ShadowWeightTrainer.trainOrProject(base, kernels, splits, cfg.trainLimit, norm, cfg.qat, cfg.lr(), cfg.threads, cfg.seed, log);
        if (cfg.qat > 0) notes.put("training", training);
        Map<String, Object> zeros = new LinkedHashMap<>();
        for (QuantizedParam k : kernels) {
            float[] v = g.initializer(k.weight()).toFloats();
            long z = 0;
            for (float f : v) if (f == 0f) z++;
            zeros.put(k.weight(), Math.round(1000.0 * z / v.length) / 1000.0);
        }
        notes.put("zero_share", zeros);
        Model out = base.copy();
        if (int4) io.nnzip.quant.weight.OpsetUpgrade.to21(out);
        List<WeightOnlyQuantizer.Layer> layers = WeightOnlyQuantizer.apply(out, cfg.exclude, (w, axis) -> ScaledCodes.encode(w, axis, SoftThresholdTernary::codes, 2, int4, "ternary"));
        notes.put("quantized_layers", layers.size());
        notes.put("container", int4 ? "int4 codes {−1, 0, 1} → DequantizeLinear(α per output channel) (opset 21)"
                : "int8 codes {−1, 0, 1} → Cast → Mul(α per output channel) (ORT folds them at load)");
        cfg.record(out, Map.of("container_used", int4 ? "int4" : "int8"));
        log.accept("soft-threshold ternary: " + layers.size() + " layers");
        return new WeightSchemes.Applied(out, base, QuantizePipeline.weightRows(layers), notes);
    }

    /** Codes of an already ternary matrix (every row in {−α, 0, α}): sign, and α = the row's largest |w|. */
    static float[] codes(float[] m, int rows, int cols, int[] code) {
        float[] alpha = new float[rows];
        for (int r = 0; r < rows; r++) {
            float a = 0;
            for (int i = 0; i < cols; i++) a = Math.max(a, Math.abs(m[r * cols + i]));
            alpha[r] = a;
            for (int i = 0; i < cols; i++) {
                float v = m[r * cols + i];
                code[r * cols + i] = a == 0 || Math.abs(v) < 0.5f * a ? 0 : v > 0 ? 1 : -1;
            }
        }
        return alpha;
    }

    /**
     * Two binary kernels of one weight, trained as one parameter [W₁ ; W₂]; values = α·(sign W₁ + sign W₂)/2 per
     * output channel. {@code outAxis} 0 (Conv, Gemm transB) or 1 (MatMul / Gemm (K, N)).
     */
    static final class Pair implements QuantizedParam {
        private final String weight;
        private final Param p;
        private final int n, rows, cols, outAxis;

        Pair(String weight, Tensor init, int outAxis) {
            this.weight = weight;
            this.n = init.size();
            this.outAxis = outAxis;
            int[] s = init.shape();
            this.rows = outAxis == 0 ? s[0] : s[1];
            this.cols = n / rows;
            float[] w = init.toFloats(), v = new float[2 * n];
            double[] meanAbs = new double[rows];
            for (int i = 0; i < n; i++) meanAbs[row(i)] += Math.abs(w[i]) / cols;
            for (int i = 0; i < n; i++) {
                float d = (float) (0.7 * meanAbs[row(i)]);
                v[i] = w[i] - d;
                v[n + i] = w[i] + d;
            }
            this.p = new Param(weight + ".stt", v, true);
        }

        int row(int i) { return outAxis == 0 ? i / cols : i % rows; }

        public String weight() { return weight; }

        public Param param() { return p; }

        public float[] values() { return merge(p.value(), n, rows, this::row); }

        /** α·(sign W₁ + sign W₂)/2 with α per row the least-squares scale against (W₁ + W₂)/2. */
        static float[] merge(float[] v, int n, int rows, java.util.function.IntUnaryOperator rowOf) {
            double[] num = new double[rows];
            long[] cnt = new long[rows];
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = (sign(v[i]) + sign(v[n + i])) / 2;
                if (t[i] == 0) continue;
                int r = rowOf.applyAsInt(i);
                num[r] += t[i] * 0.5 * (v[i] + v[n + i]);
                cnt[r]++;
            }
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                int r = rowOf.applyAsInt(i);
                float a = cnt[r] == 0 ? 0f : (float) Math.max(0, num[r] / cnt[r]);
                out[i] = t[i] * a;
            }
            return out;
        }

        private static int sign(float x) { return x >= 0 ? 1 : -1; }

        public void backward(float[] g) {
            float[] v = p.value(), gr = p.grad();
            double[] m1 = new double[rows], m2 = new double[rows];
            for (int i = 0; i < n; i++) {
                m1[row(i)] += Math.abs(v[i]) / cols;
                m2[row(i)] += Math.abs(v[n + i]) / cols;
            }
            for (int i = 0; i < n; i++) {
                int r = row(i);
                gr[i] = Math.abs(v[i]) <= 3 * m1[r] ? g[i] : 0f;
                gr[n + i] = Math.abs(v[n + i]) <= 3 * m2[r] ? g[i] : 0f;
            }
        }
    }
}
