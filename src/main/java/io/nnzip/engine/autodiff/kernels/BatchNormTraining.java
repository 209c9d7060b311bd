package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;

/**
 * BatchNormalization in training mode: normalizes with the batch's own statistics, updates the running
 * statistics, and computes the gradients, parallel over channels.
 * <pre>
 * x: (N,C,spatial...) viewed as (N,C,L); scale, bias, runMean, runVar: (C) -> y: (N,C,L)
 * forward:  y = scale·x̂ + bias, x̂ = (x − μ_c)·istd_c, istd_c = 1/sqrt(σ²_c + eps), over M = N·L values per channel
 * backward: dbias = Σ dy, dscale = Σ dy·x̂, dx = scale·istd/M · (M·dy − dbias − x̂·dscale)
 * </pre>
 */
public final class BatchNormTraining {
    private BatchNormTraining() {}

    /** What the backward pass needs from the forward: per-channel batch mean and inverse std. */
    public record Saved(float[] mean, float[] invStd) {}

    /**
     * Forward with batch statistics. {@code momentum} weighs the old running value (ONNX convention:
     * run = run·momentum + batch·(1 − momentum)); the running variance takes the unbiased batch variance.
     * runMean/runVar are updated in place when non-null.
     */
    public static Saved forward(float[] x, float[] scale, float[] bias, float[] runMean, float[] runVar, float eps,
                                float momentum, int n, int c, int l, float[] y, Parallel par) {
        float[] mean = new float[c], invStd = new float[c];
        int m = n * l;
        par.forRange(c, 1, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double[] mv = moments(x, n, c, l, ch);
                double mu = mv[0], var = mv[1];
                float is = (float) (1.0 / Math.sqrt(var + eps));
                mean[ch] = (float) mu;
                invStd[ch] = is;
                float a = scale[ch] * is, b = bias[ch] - (float) mu * a;
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * l;
                    for (int j = 0; j < l; j++) y[o + j] = x[o + j] * a + b;
                }
                updateRunning(runMean, runVar, ch, mu, var, m, momentum);
            }
        });
        return new Saved(mean, invStd);
    }

    /** Gradients; dx, dscale, dbias may be null when not wanted. */
    public static void backward(float[] x, float[] scale, Saved st, float[] dy, int n, int c, int l,
                                float[] dx, float[] dscale, float[] dbias, Parallel par) {
        int m = n * l;
        par.forRange(c, 1, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                float mu = st.mean()[ch], is = st.invStd()[ch];
                double sd = 0, sdxRaw = 0;
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * l;
                    sd += VecSums.sum(dy, o, l);
                    sdxRaw += VecSums.dot(dy, x, o, l);
                }
                float db = (float) sd, ds = (float) ((sdxRaw - mu * sd) * is);
                if (dbias != null) dbias[ch] = db;
                if (dscale != null) dscale[ch] = ds;
                if (dx == null) continue;
                // dx = k·(m·dy − db − (x − μ)·istd·ds) = a·dy + b·x + e
                float k = scale[ch] * is / m, a = k * m, b = -k * is * ds, e = k * (-db + mu * is * ds);
                for (int i = 0; i < n; i++) {
                    int o = (i * c + ch) * l;
                    for (int j = 0; j < l; j++) dx[o + j] = a * dy[o + j] + b * x[o + j] + e;
                }
            }
        });
    }

    /** Inference-mode gradients (fixed statistics): dx = dy·scale·istd, dscale = Σ dy·x̂, dbias = Σ dy. */
    public static void backwardFrozen(float[] x, float[] scale, float[] mean, float[] var, float eps, float[] dy,
                                      int n, int c, int l, float[] dx, float[] dscale, float[] dbias) {
        float[] invStd = new float[c];
        for (int ch = 0; ch < c; ch++) invStd[ch] = (float) (1.0 / Math.sqrt(var[ch] + eps));
        for (int ch = 0; ch < c; ch++) {
            float mu = mean[ch], is = invStd[ch], a = scale[ch] * is;
            double sd = 0, sdx = 0;
            for (int i = 0; i < n; i++) {
                int o = (i * c + ch) * l;
                for (int j = 0; j < l; j++) {
                    float d = dy[o + j];
                    sd += d;
                    sdx += d * (x[o + j] - mu) * is;
                    if (dx != null) dx[o + j] = d * a;
                }
            }
            if (dbias != null) dbias[ch] = (float) sd;
            if (dscale != null) dscale[ch] = (float) sdx;
        }
    }

    /** Batch mean and biased variance of channel ch over all n images of x (N,C,L), in one pass over the data. */
    static double[] moments(float[] x, int n, int c, int l, int ch) {
        double[] sums = new double[2];
        for (int i = 0; i < n; i++) VecSums.sumAndSquares(x, (i * c + ch) * l, l, sums);
        int m = n * l;
        double mu = sums[0] / m;
        return new double[] {mu, Math.max(0, sums[1] / m - mu * mu)};
    }

    /** Running statistics in ONNX's momentum convention; the running variance takes the unbiased estimate. */
    static void updateRunning(float[] runMean, float[] runVar, int ch, double mu, double var, int m, float momentum) {
        if (runMean != null) runMean[ch] = runMean[ch] * momentum + (float) mu * (1 - momentum);
        if (runVar != null) runVar[ch] = runVar[ch] * momentum + (float) (m > 1 ? var * m / (m - 1) : var) * (1 - momentum);
    }
}
