package io.nnzip.codec;

import io.nnzip.ir.NnzipException;

/**
 * Uniform scalar quantization with a rounding offset, per tensor or per channel along one axis.
 * <pre>
 *   x = w − base           (base = 0, or the co-located reconstructed base weight for a difference of models)
 *   q = sign(x) · ⌊|x| / Δ + θ⌋        θ = 0.5 rounds to nearest; θ &lt; 0.5 widens the dead zone around 0
 *   ŵ = (float) (base + q · Δ)         computed in double, identically in encoder and decoder
 * </pre>
 * A tensor of shape (d0, …, d_{r−1}) with channel axis a is visited as (outer, C, inner) with C = d_a, so the
 * channel of element i is (i / inner) mod C.
 */
public final class UniformQuantizer {
    private UniformQuantizer() {}

    /** Channel count and inner stride for {@code axis} (−1: one channel). */
    public static int[] layout(long[] dims, int axis) {
        if (axis < 0) return new int[] {1, 1};
        long inner = 1;
        for (int i = axis + 1; i < dims.length; i++) inner *= dims[i];
        return new int[] {(int) dims[axis], (int) inner};
    }

    /** Δ = σ · 2^(qp/4) per channel; a channel with σ = 0 borrows the tensor's σ, a constant tensor gets Δ = 1. */
    public static float[] steps(float[] w, float[] base, long[] dims, int axis, int qp) {
        int[] l = layout(dims, axis);
        int channels = l[0], inner = l[1];
        double[] s = new double[channels], ss = new double[channels];
        long[] cnt = new long[channels];
        double ts = 0, tss = 0;
        for (int i = 0; i < w.length; i++) {
            int c = channels == 1 ? 0 : (i / inner) % channels;
            double x = base == null ? w[i] : (double) w[i] - base[i];
            s[c] += x;
            ss[c] += x * x;
            cnt[c]++;
            ts += x;
            tss += x * x;
        }
        double scale = Math.pow(2, qp / 4.0);
        double tsd = std(ts, tss, w.length);
        float[] steps = new float[channels];
        for (int c = 0; c < channels; c++) {
            double sd = cnt[c] > 1 ? std(s[c], ss[c], cnt[c]) : 0;
            if (!(sd > 0)) sd = tsd > 0 ? tsd : 1;
            steps[c] = (float) (sd * scale);
            if (!(steps[c] > 0) || !Float.isFinite(steps[c])) steps[c] = Float.MIN_NORMAL;
        }
        return steps;
    }

    private static double std(double s, double ss, long n) {
        double m = s / n;
        return Math.sqrt(Math.max(0, ss / n - m * m));
    }

    public static void quantize(float[] w, float[] base, float[] steps, long[] dims, int axis, double theta, int[] q) {
        int[] l = layout(dims, axis);
        int channels = l[0], inner = l[1];
        int n = w.length;
        if (channels == 1) {
            quantizeRange(w, base, 0, n, 1.0 / steps[0], theta, q);
            return;
        }
        for (int start = 0, c = 0; start < n; start += inner, c = (c + 1) % channels)
            quantizeRange(w, base, start, start + inner, 1.0 / steps[c], theta, q);
    }

    private static void quantizeRange(float[] w, float[] base, int from, int to, double inv, double theta, int[] q) {
        for (int i = from; i < to; i++) {
            double x = base == null ? w[i] : (double) w[i] - base[i];
            double a = Math.abs(x) * inv + theta;
            if (!(a < 1 << 30)) throw new NnzipException("weight " + w[i] + " is out of range for step " + (1 / inv) + " (use a coarser QP or --lossless)");
            int m = (int) a;
            q[i] = x < 0 ? -m : m;
        }
    }

    /**
     * Least-squares steps for given levels: per channel Δ = Σ w·q / Σ q², the step that best fits the levels to the
     * weights. A dead zone (θ &lt; 0.5) shrinks a layer's weights toward zero; refitting the step restores the
     * layer's gain, which matters more to accuracy than the error's power (a BatchNorm after the layer keeps the
     * statistics of the original gain).
     */
    public static void refitSteps(float[] w, float[] base, int[] q, float[] steps, long[] dims, int axis) {
        int[] l = layout(dims, axis);
        int channels = l[0], inner = l[1];
        double[] num = new double[channels], den = new double[channels];
        for (int i = 0; i < w.length; i++) {
            int c = channels == 1 ? 0 : (i / inner) % channels;
            double x = base == null ? w[i] : (double) w[i] - base[i];
            num[c] += x * q[i];
            den[c] += (double) q[i] * q[i];
        }
        for (int c = 0; c < channels; c++) {
            float s = (float) (num[c] / den[c]);
            if (den[c] > 0 && s > 0 && Float.isFinite(s)) steps[c] = s;
        }
    }

    public static float[] reconstruct(int[] q, float[] base, float[] steps, long[] dims, int axis) {
        int[] l = layout(dims, axis);
        int channels = l[0], inner = l[1];
        float[] out = new float[q.length];
        for (int start = 0, c = 0; start < q.length; start += inner, c = (c + 1) % channels) {
            double d = steps[c];
            int end = channels == 1 ? q.length : start + inner;
            if (base == null) for (int i = start; i < end; i++) out[i] = (float) (q[i] * d);
            else for (int i = start; i < end; i++) out[i] = (float) (base[i] + q[i] * d);
            if (channels == 1) break;
        }
        return out;
    }

    /** Levels of the base on the same grid, as context classes for coding a difference. */
    public static byte[] baseClasses(float[] base, float[] steps, long[] dims, int axis) {
        int[] l = layout(dims, axis);
        int channels = l[0], inner = l[1];
        byte[] out = new byte[base.length];
        for (int start = 0, c = 0; start < base.length; start += inner, c = (c + 1) % channels) {
            double inv = 1.0 / steps[c];
            int end = channels == 1 ? base.length : start + inner;
            for (int i = start; i < end; i++) {
                double v = base[i] * inv;
                int qb = v >= 2 ? 2 : v <= -2 ? -2 : (int) Math.rint(v);
                out[i] = io.nnzip.codec.binarize.LevelBinarization.baseClass(qb);
            }
            if (channels == 1) break;
        }
        return out;
    }
}
