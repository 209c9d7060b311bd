package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the root of a bundle: the model that minimizes the estimated total coded size when it is coded alone and
 * every other model as its difference to it. Per layer, the cost of a tensor is estimated as n · H0 of its quantized
 * levels (H0 = empirical order-0 entropy) at the coding step, computed on a strided sample; a layer identical to the
 * root's costs nothing. The share of identical layers is reported alongside.
 */
public final class RootChooser {
    static final int SAMPLE = 1 << 16;

    /** Estimated bits for each candidate root, and the share of identical layers between each pair. */
    public record Estimate(String root, Map<String, Double> bitsByRoot, Map<String, Double> identicalShare) {}

    private RootChooser() {}

    public static Estimate choose(Map<String, Model> models, CodecOptions o) {
        List<String> names = new ArrayList<>(models.keySet());
        int k = names.size();
        double[] intra = new double[k];
        double[][] inter = new double[k][k];
        double[][] same = new double[k][k];
        for (int i = 0; i < k; i++) intra[i] = bits(models.get(names.get(i)), null, o, null);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                if (i != j) {
                    double[] share = new double[1];
                    inter[i][j] = bits(models.get(names.get(i)), models.get(names.get(j)), o, share);
                    same[i][j] = share[0];
                }
        Map<String, Double> total = new LinkedHashMap<>();
        Map<String, Double> identical = new LinkedHashMap<>();
        String best = names.get(0);
        for (int r = 0; r < k; r++) {
            double t = intra[r];
            double s = 0;
            for (int i = 0; i < k; i++) if (i != r) {
                t += inter[i][r];
                s += same[i][r];
            }
            total.put(names.get(r), t);
            identical.put(names.get(r), k > 1 ? s / (k - 1) : 1);
            if (t < total.get(best)) best = names.get(r);
        }
        return new Estimate(best, total, identical);
    }

    // Estimated bits of model m coded alone (ref == null) or as its difference to ref; share[0] = identical layers.
    static double bits(Model m, Model ref, CodecOptions o, double[] share) {
        double bits = 0;
        int layers = 0, identical = 0;
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT) continue;
            layers++;
            Tensor r = ref == null ? null : ref.graph().initializer(e.getKey());
            boolean comparable = r != null && r.dtype() == DType.FLOAT && Arrays.equals(r.shape(), t.shape());
            if (comparable && Arrays.equals(r.floats(), t.floats())) {
                identical++;
                continue;
            }
            float[] w = t.floats();
            boolean quantize = !o.lossless() && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
            if (!quantize) {
                bits += 27.0 * w.length;
                continue;
            }
            long[] dims = new long[] {w.length};
            float[] step = UniformQuantizer.steps(w, null, dims, -1, o.qpFor(e.getKey()));
            int stride = Math.max(1, w.length / SAMPLE);
            int n = (w.length + stride - 1) / stride;
            float[] ws = new float[n];
            float[] bs = comparable ? new float[n] : null;
            for (int i = 0, j = 0; i < w.length && j < n; i += stride, j++) {
                ws[j] = w[i];
                if (bs != null) bs[j] = r.floats()[i];
            }
            int[] q = new int[n];
            UniformQuantizer.quantize(ws, bs, step, new long[] {n}, -1, 0.5, q);
            bits += entropy(q) * w.length;
        }
        if (share != null) share[0] = layers == 0 ? 0 : (double) identical / layers;
        return bits;
    }

    /** Empirical order-0 entropy in bits per symbol. */
    public static double entropy(int[] q) {
        Map<Integer, Integer> hist = new java.util.HashMap<>();
        for (int v : q) hist.merge(v, 1, Integer::sum);
        double h = 0;
        for (int c : hist.values()) {
            double p = (double) c / q.length;
            h -= p * Math.log(p) / Math.log(2);
        }
        return h;
    }
}
