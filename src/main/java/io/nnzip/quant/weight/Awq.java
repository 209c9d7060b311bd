package io.nnzip.quant.weight;

import java.util.List;

/**
 * Activation-aware scaling for weight-only quantization (AWQ, Lin et al., 2023): input channels that carry large
 * activations are scaled up in the weights (and the activation down by the same factor) before rounding, so their
 * weights lose less precision. s_k = mean|x_k|^α, with α searched on a grid in [0, 1] for the least output error
 * Σ (w − ŵ)ᵀ H (w − ŵ) of all layers reading the activation; α = 0 (no scaling, plain rounding) is on the grid, so
 * the result is never worse than rounding on the calibration inputs.
 */
public final class Awq {
    /** The chosen scales (all 1 when α = 0) and the output errors with and without them. */
    public record Result(float[] scales, double alpha, double plainError, double error) {}

    private Awq() {}

    /**
     * @param mats  each layer's weight as rows (outputs) × k (inputs), row-major
     * @param h     k × k input second moments
     */
    public static Result search(List<float[]> mats, int k, double[] h, double[] absMean, int group, int bits, int grid) {
        double plain = Double.NaN, bestErr = Double.MAX_VALUE, bestAlpha = 0;
        float[] best = null;
        for (int step = 0; step <= grid; step++) {
            double alpha = step / (double) grid;
            float[] s = scales(absMean, alpha);
            double err = 0;
            for (float[] w : mats) err += error(w, w.length / k, k, s, h, group, bits);
            if (step == 0) plain = err;
            if (err < bestErr) {
                bestErr = err;
                bestAlpha = alpha;
                best = s;
            }
        }
        return new Result(best, bestAlpha, plain, bestErr);
    }

    /** mean|x|^α, normalized so the largest and smallest scale are reciprocal (keeps weights near their range). */
    static float[] scales(double[] absMean, double alpha) {
        float[] s = new float[absMean.length];
        double lo = Double.MAX_VALUE, hi = 0;
        for (int i = 0; i < s.length; i++) {
            double v = Math.pow(Math.max(absMean[i], 1e-6), alpha);
            s[i] = (float) v;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double norm = Math.sqrt(lo * hi);
        for (int i = 0; i < s.length; i++) s[i] = (float) (s[i] / norm);
        return s;
    }

    /** Output error of rounding diag(s)·W (per row: w_k s_k) and dividing back. */
    private static double error(float[] w, int rows, int k, float[] s, double[] h, int group, int bits) {
        float[] ws = new float[w.length];
        for (int r = 0; r < rows; r++) for (int i = 0; i < k; i++) ws[r * k + i] = w[r * k + i] * s[i];
        float[] d = GroupedLinearQuantizer.round(ws, rows, k, group, bits).decoded();
        for (int r = 0; r < rows; r++) for (int i = 0; i < k; i++) d[r * k + i] /= s[i];
        return Gptq.outputError(w, d, rows, k, h);
    }
}
