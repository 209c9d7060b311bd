package io.nnzip.arch;

import java.util.SplittableRandom;

/**
 * Multinomial logistic regression on fixed features: the exact training problem of an exit head when the
 * backbone is frozen, so heads are fitted from cached features without backpropagating through the network.
 * Features are standardized for conditioning and the standardization is folded back into the returned weights.
 * Minibatch Adam on the mean cross-entropy plus a small L2 term.
 * <pre>x: (N,D), labels: (N) -> w: (K,D), b: (K)</pre>
 */
public final class SoftmaxRegression {
    public final float[] weight, bias;

    private SoftmaxRegression(float[] w, float[] b) {
        weight = w;
        bias = b;
    }

    public static SoftmaxRegression fit(float[] x, int[] labels, int n, int d, int k, int epochs, float lr, float l2, long seed) {
        double[] mean = new double[d], std = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) std[j] += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
        for (int j = 0; j < d; j++) std[j] = Math.sqrt(std[j] / n) + 1e-6;
        float[] w = new float[k * d], b = new float[k];
        float[] mw = new float[w.length], vw = new float[w.length], mb = new float[k], vb = new float[k];
        float[] gw = new float[w.length], gb = new float[k];
        int batch = 128;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] z = new float[d];
        double[] p = new double[k];
        long t = 0;
        for (int e = 0; e < epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            float rate = lr * (float) (0.5 * (1 + Math.cos(Math.PI * e / epochs)));
            for (int lo = 0; lo < n; lo += batch) {
                int hi = Math.min(n, lo + batch);
                java.util.Arrays.fill(gw, 0);
                java.util.Arrays.fill(gb, 0);
                for (int s = lo; s < hi; s++) {
                    int i = order[s];
                    for (int j = 0; j < d; j++) z[j] = (float) ((x[i * d + j] - mean[j]) / std[j]);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < k; c++) {
                        double v = b[c];
                        for (int j = 0; j < d; j++) v += w[c * d + j] * z[j];
                        p[c] = v;
                        max = Math.max(max, v);
                    }
                    double sum = 0;
                    for (int c = 0; c < k; c++) sum += p[c] = Math.exp(p[c] - max);
                    for (int c = 0; c < k; c++) {
                        float g = (float) (p[c] / sum - (c == labels[i] ? 1 : 0)) / (hi - lo);
                        gb[c] += g;
                        for (int j = 0; j < d; j++) gw[c * d + j] += g * z[j];
                    }
                }
                t++;
                for (int q = 0; q < w.length; q++) gw[q] += l2 * w[q];
                adam(w, gw, mw, vw, rate, t);
                adam(b, gb, mb, vb, rate, t);
            }
        }
        // fold standardization: w·(x−μ)/σ + b = (w/σ)·x + (b − Σ w·μ/σ)
        float[] wf = new float[w.length], bf = new float[k];
        for (int c = 0; c < k; c++) {
            double bb = b[c];
            for (int j = 0; j < d; j++) {
                wf[c * d + j] = (float) (w[c * d + j] / std[j]);
                bb -= w[c * d + j] * mean[j] / std[j];
            }
            bf[c] = (float) bb;
        }
        return new SoftmaxRegression(wf, bf);
    }

    private static void adam(float[] p, float[] g, float[] m, float[] v, float lr, long t) {
        double c1 = 1 - Math.pow(0.9, t), c2 = 1 - Math.pow(0.999, t);
        for (int i = 0; i < p.length; i++) {
            m[i] = 0.9f * m[i] + 0.1f * g[i];
            v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
            p[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8));
        }
    }
}
