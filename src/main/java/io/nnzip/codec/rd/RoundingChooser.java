package io.nnzip.codec.rd;

import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;

/**
 * Rate–distortion choice of the rounding offset θ: for each candidate, quantize a prefix of the tensor, measure its
 * rate with the {@link BitCostEstimator} (same binarization as the coder) and its squared error, and keep the
 * θ minimizing D/Δ² + λ·R. λ = 2·ln2/12 ≈ 0.1155 is the slope of a uniform quantizer's high-rate D(R) curve in
 * these units, so θ is traded against rate at the same price a step change would pay.
 */
public final class RoundingChooser {
    public static final double LAMBDA = 2 * Math.log(2) / 12;
    private static final double[] THETAS = {0.5, 0.45, 0.4, 0.35, 0.3, 0.25};

    private RoundingChooser() {}

    public static double choose(float[] w, float[] base, float[] steps, long[] dims, int axis, byte[] baseClasses) {
        int n = Math.min(w.length, BinarizationChooser.SAMPLE);
        // Whole channels when per-channel, so the sample sees the right steps.
        float[] ws = java.util.Arrays.copyOf(w, n);
        float[] bs = base == null ? null : java.util.Arrays.copyOf(base, n);
        byte[] cs = baseClasses == null ? null : java.util.Arrays.copyOf(baseClasses, n);
        long[] sdims = axis < 0 ? new long[] {n} : dims;
        if (axis >= 0 && n < w.length) {
            ws = w;
            bs = base;
            cs = baseClasses;
            n = w.length;
        }
        int[] lay = UniformQuantizer.layout(sdims, axis);
        int[] q = new int[n];
        double best = 0.5, bestJ = Double.MAX_VALUE;
        BitCostEstimator est = new BitCostEstimator();
        int k = -1;
        for (double theta : THETAS) {
            UniformQuantizer.quantize(ws, bs, steps, sdims, axis, theta, q);
            float[] rec = UniformQuantizer.reconstruct(q, bs, steps, sdims, axis);
            double d = 0;
            for (int i = 0; i < n; i++) {
                double e = (double) ws[i] - rec[i];
                double st = steps[lay[0] == 1 ? 0 : (i / lay[1]) % lay[0]];
                d += e * e / (st * st);
            }
            if (k < 0) k = BinarizationChooser.chooseRiceK(q, cs);
            est.reset();
            RiceLevelBinarization.encode(q, 0, n, cs, k, est, RiceLevelBinarization.contexts());
            double j = d + LAMBDA * est.bits();
            if (j < bestJ) {
                bestJ = j;
                best = theta;
            }
        }
        return best;
    }
}
