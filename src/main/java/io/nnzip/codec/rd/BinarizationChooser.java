package io.nnzip.codec.rd;

import io.nnzip.codec.binarize.LevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;

/**
 * Picks a tensor's binarization parameters (number of greater-than flags, Exp-Golomb order) by running the real
 * binarization through the {@link BitCostEstimator} on a prefix of the levels and keeping the cheapest.
 */
public final class BinarizationChooser {
    static final int SAMPLE = 1 << 13;
    private static final int[] GT_CANDIDATES = {1, 2, 3, 4, 6, 9, 15};

    private BinarizationChooser() {}

    public static LevelBinarization.Params choose(int[] q, byte[] base) {
        int n = Math.min(q.length, SAMPLE);
        LevelBinarization.Params best = null;
        double bestBits = Double.MAX_VALUE;
        BitCostEstimator est = new BitCostEstimator();
        long maxAbs = 0;
        for (int i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs((long) q[i]));
        for (int gt : GT_CANDIDATES) {
            LevelBinarization.Params p = new LevelBinarization.Params(gt, egOrder(q, n, gt));
            est.reset();
            LevelBinarization.encode(q, 0, n, base, p, est, LevelBinarization.contexts());
            if (est.bits() < bestBits) {
                bestBits = est.bits();
                best = p;
            }
            if (gt >= maxAbs) break;
        }
        return best;
    }

    /** The Exp-Golomb order that codes the remainders |q| − maxGt − 1 in the fewest bits (as if all bypass). */
    static int egOrder(int[] q, int n, int maxGt) {
        long[] len = new long[LevelBinarization.MAX_EGK + 1];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            long m = Math.abs((long) q[i]);
            if (m <= maxGt) continue;
            any = true;
            long r = m - maxGt - 1;
            for (int k = 0; k < len.length; k++) {
                long x = r + (1L << k);
                int nb = 63 - Long.numberOfLeadingZeros(x);
                len[k] += 2L * nb - k + 1;
            }
        }
        if (!any) return 0;
        int best = 0;
        for (int k = 1; k < len.length; k++) if (len[k] < len[best]) best = k;
        return best;
    }
}
