package io.nnzip.codec.dom;

import io.nnzip.codec.UniformQuantizer;

/**
 * Equal-fidelity steps for an update. A receiver that decoded a quantized model holds each weight tensor on a
 * uniform grid k·Δ_base. Coding the update with that same Δ_base (instead of the new tensor's own Δ, which differs
 * by the small change in its spread) keeps the patched tensor on the receiver's grid: its fidelity is what a full
 * coding would give, and every weight whose change stays inside its quantization cell costs a zero level — where a
 * slightly different step would shift almost every level by one. The grid is recovered from the base values alone
 * (the decoder needs nothing new: the unit carries its steps). Bases that are not on a grid comparable to the new
 * step (a float model, a much finer or coarser coding) keep the new tensor's step.
 */
public final class BaseGrid {
    /** Relative tolerance for "on the grid": float rounding of k·Δ stays far below it. */
    static final double ON_GRID = 1e-4;

    private BaseGrid() {}

    /** Steps per channel for coding {@code w} against {@code base}: the base's grid where it has one, else the new steps. */
    public static float[] steps(float[] w, float[] base, long[] dims, int axis, int qp) {
        float[] own = UniformQuantizer.steps(w, null, dims, axis, qp);
        int[] l = UniformQuantizer.layout(dims, axis);
        int channels = l[0], inner = l[1];
        float[] out = own.clone();
        for (int c = 0; c < channels; c++) {
            double g = channels == 1 ? grid(base, 0, base.length, base.length, own[c]) : grid(base, c * inner, inner, channels * inner, own[c]);
            if (g > 0) out[c] = (float) g;
        }
        return out;
    }

    // The grid step of one channel (elements from, from+stride, ... in runs of len), or 0 if it has none near `near`.
    static double grid(float[] b, int from, int len, int stride, double near) {
        double min = Double.MAX_VALUE;
        for (int s = from; s < b.length; s += stride)
            for (int i = s; i < Math.min(b.length, s + len); i++) {
                double a = Math.abs(b[i]);
                if (a > 0 && a < min) min = a;
            }
        if (!(min < near * 2 && min > near / 2)) return 0;
        double num = 0, den = 0;
        for (int s = from; s < b.length; s += stride)
            for (int i = s; i < Math.min(b.length, s + len); i++) {
                double k = Math.rint(b[i] / min);
                num += b[i] * k;
                den += k * k;
            }
        double step = num / den;
        for (int s = from; s < b.length; s += stride)
            for (int i = s; i < Math.min(b.length, s + len); i++)
                if (Math.abs(b[i] - Math.rint(b[i] / step) * step) > ON_GRID * step) return 0;
        return step;
    }
}
