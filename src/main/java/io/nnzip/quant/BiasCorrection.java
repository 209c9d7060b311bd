package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.TensorStats;
import io.nnzip.quant.qdq.QdqPlan;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Empirical bias correction (Nagel et al., 2019): weight rounding shifts each output channel's mean by
 * Σ (W_q − W)·E[x]; subtracting that shift from the bias removes the systematic part of the error. E[x] is the
 * per-channel mean of the layer's input over the calibration data (padding's zeros are ignored).
 */
public final class BiasCorrection {
    private BiasCorrection() {}

    public static Map<String, float[]> corrections(Graph g, QdqPlan plan, Map<String, TensorStats> stats, boolean perChannel) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Node n : plan.weightOps) {
            TensorStats s = stats.get(plan.scaleSource(n.input(0)));
            double[] mean = s == null ? null : s.channelMeans();
            if (mean == null) continue;
            Tensor w = g.initializer(n.input(1));
            float[] shift = shift(n, w, mean, perChannel);
            if (shift == null) continue;
            float[] b = n.hasInput(2) && g.isInitializer(n.input(2)) ? g.initializer(n.input(2)).toFloats().clone() : null;
            if (b == null || b.length != shift.length) continue;
            for (int i = 0; i < b.length; i++) b[i] -= shift[i];
            out.put(n.name(), b);
        }
        return out;
    }

    /** Σ over a channel's weights of (W_q − W)·E[x_in]; null when the layout is not handled. */
    static float[] shift(Node n, Tensor w, double[] mean, boolean perChannel) {
        int axis = n.opType().equals("Conv") ? 0 : n.opType().equals("Gemm") && n.attrInt("transB", 0) != 0 ? 0 : 1;
        ChannelQuantizer.Result r = ChannelQuantizer.quantize(w, axis, perChannel, DType.INT8);
        float[] x = w.toFloats(), d = r.dequantized();
        if (n.opType().equals("Conv")) {
            int k = w.dim(0), cg = w.dim(1), rs = w.size() / (k * cg), groups = (int) n.attrInt("group", 1);
            if (cg * groups != mean.length) return null;
            float[] s = new float[k];
            for (int o = 0; o < k; o++) {
                int g0 = (o / (k / groups)) * cg;
                double acc = 0;
                for (int c = 0; c < cg; c++) for (int j = 0; j < rs; j++) {
                    int i = (o * cg + c) * rs + j;
                    acc += (d[i] - x[i]) * mean[g0 + c];
                }
                s[o] = (float) acc;
            }
            return s;
        }
        // Gemm / MatMul: (N, K) when transB, else (K, N)
        boolean nk = axis == 0;
        int rows = w.dim(0), cols = w.dim(1), outN = nk ? rows : cols, inK = nk ? cols : rows;
        if (inK != mean.length) return null;
        float[] s = new float[outN];
        for (int o = 0; o < outN; o++) {
            double acc = 0;
            for (int k = 0; k < inK; k++) {
                int i = nk ? o * cols + k : k * cols + o;
                acc += (d[i] - x[i]) * mean[k];
            }
            s[o] = (float) acc;
        }
        return s;
    }
}
