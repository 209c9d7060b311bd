package io.nnzip.quant.calib;

/**
 * What calibration learns about one activation tensor: its min and max, and a histogram of |x| over
 * [0, absMax] that the percentile, entropy and MSE calibrators choose a clipping threshold from.
 * Filled in two passes over the data: first {@link #observeRange}, then {@link #observeHistogram}.
 */
public final class TensorStats {
    public static final int BINS = 2048;
    public float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    public final long[] hist = new long[BINS];
    public long count;
    /** Per-channel (axis 1) sums and sample count, for bias correction's E[x]. */
    public double[] channelSum;
    public long channelCount;

    public void observeRange(float[] x) { observeRange(x, null); }

    /** Min/max; with a shape of rank ≥ 2 also the per-channel sums along axis 1. */
    public void observeRange(float[] x, int[] shape) {
        if (shape != null && shape.length >= 2) {
            int c = shape[1], inner = x.length / (shape[0] * c);
            if (channelSum == null) channelSum = new double[c];
            for (int n = 0; n < shape[0]; n++)
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    int base = (n * c + ch) * inner;
                    for (int i = 0; i < inner; i++) s += x[base + i];
                    channelSum[ch] += s;
                }
            channelCount += (long) shape[0] * inner;
        }
        float lo = min, hi = max;
        for (float v : x) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        min = lo;
        max = hi;
    }

    /** Mean of each channel (axis 1), or null when not recorded. */
    public double[] channelMeans() {
        if (channelSum == null || channelCount == 0) return null;
        double[] m = new double[channelSum.length];
        for (int i = 0; i < m.length; i++) m[i] = channelSum[i] / channelCount;
        return m;
    }

    public float absMax() { return Math.max(Math.abs(min), Math.abs(max)); }

    /** Width of one histogram bin. */
    public double binWidth() { return absMax() > 0 ? absMax() / BINS : 1; }

    public void observeHistogram(float[] x) {
        double inv = 1 / binWidth();
        for (float v : x) {
            int b = (int) (Math.abs(v) * inv);
            hist[Math.min(b, BINS - 1)]++;
        }
        count += x.length;
    }

    /** True when the tensor never goes negative (after ReLU), so a one-sided uint8 grid fits it. */
    public boolean nonNegative() { return min >= 0; }

    /** The range [lo, hi] left when clipping |x| at {@code t}. */
    public float[] clipped(double t) { return new float[] {(float) Math.max(min, -t), (float) Math.min(max, t)}; }
}
