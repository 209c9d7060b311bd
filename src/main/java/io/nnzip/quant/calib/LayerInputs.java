package io.nnzip.quant.calib;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Second moments of the inputs of linear layers on calibration data: every value [..., K] is read as rows of K
 * features (a token, an image), and per tensor the K × K sum of xᵀx (the Hessian of a layer's output error up to a
 * factor 2, which GPTQ and AWQ weigh weight errors with), the mean |x| and the max |x| of each feature.
 */
public final class LayerInputs {
    /** {@code h} row-major K × K; {@code rows} = how many feature vectors were summed. */
    public record Stats(double[] h, double[] absMean, float[] absMax, int k, long rows) {
        /** The mean of xᵀx (per row), so scales do not depend on how many calibration samples were used. */
        public double[] hessian() {
            double[] m = h.clone();
            for (int i = 0; i < m.length; i++) m[i] /= Math.max(1, rows);
            return m;
        }
    }

    private LayerInputs() {}

    public static Map<String, Stats> capture(Model m, Collection<String> tensors, List<Tensor> batches, int threads) {
        Map<String, double[]> h = new LinkedHashMap<>(), mean = new LinkedHashMap<>();
        Map<String, float[]> max = new LinkedHashMap<>();
        Map<String, long[]> rows = new LinkedHashMap<>();
        try (ActivationRecorder r = new ActivationRecorder(m, tensors, threads)) {
            r.forEach(batches, (name, v) -> {
                if (!tensors.contains(name)) return;
                int k = v.dim(-1);
                float[] x = v.toFloats();
                double[] hh = h.computeIfAbsent(name, n -> new double[k * k]), mm = mean.computeIfAbsent(name, n -> new double[k]);
                float[] mx = max.computeIfAbsent(name, n -> new float[k]);
                int n = x.length / k;
                for (int row = 0; row < n; row++) {
                    int o = row * k;
                    for (int i = 0; i < k; i++) {
                        float xi = x[o + i];
                        mm[i] += Math.abs(xi);
                        mx[i] = Math.max(mx[i], Math.abs(xi));
                        if (xi == 0) continue;
                        int hi = i * k;
                        for (int j = i; j < k; j++) hh[hi + j] += xi * (double) x[o + j];
                    }
                }
                rows.computeIfAbsent(name, t -> new long[1])[0] += n;
            });
        }
        Map<String, Stats> out = new LinkedHashMap<>();
        for (String t : h.keySet()) {
            double[] hh = h.get(t), mm = mean.get(t);
            int k = mm.length;
            long n = rows.get(t)[0];
            for (int i = 0; i < k; i++) {
                mm[i] /= Math.max(1, n);
                for (int j = 0; j < i; j++) hh[i * k + j] = hh[j * k + i];
            }
            out.put(t, new Stats(hh, mm, max.get(t), k, n));
        }
        return out;
    }
}
