package io.nnzip.codec.rd;

import io.nnzip.codec.binarize.LevelBinarization;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;

/**
 * Picks a tensor's binarization parameters (the Rice parameter of format version 2; for version 1 the number of
 * greater-than flags and the Exp-Golomb order) by running the real
 * binarization through the {@link BitCostEstimator} on a prefix of the levels. Among the candidates within
 * {@link #SIZE_SLACK} of the smallest size it keeps the one with the fewest coding operations, since coding time is
 * proportional to them: at fine steps that trades &lt; 0.3 % of size for about half the bins.
 */
public final class BinarizationChooser {
    static final int SAMPLE = 1 << 12;
    private static final int[] GT_CANDIDATES = {1, 2, 3, 4, 6, 9, 15};
    static final double SIZE_SLACK = 1.003;

    private BinarizationChooser() {}

    public static LevelBinarization.Params choose(int[] q, byte[] base) {
        int n = Math.min(q.length, SAMPLE);
        BitCostEstimator est = new BitCostEstimator();
        long maxAbs = 0;
        for (int i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs((long) q[i]));
        java.util.List<Object[]> tried = new java.util.ArrayList<>();
        double minBits = Double.MAX_VALUE;
        for (int gt : GT_CANDIDATES) {
            LevelBinarization.Params p = new LevelBinarization.Params(gt, egOrder(q, n, gt));
            est.reset();
            LevelBinarization.encode(q, 0, n, base, p, est, LevelBinarization.contexts());
            tried.add(new Object[] {p, est.bits(), est.bins()});
            minBits = Math.min(minBits, est.bits());
            if (gt >= maxAbs) break;
        }
        LevelBinarization.Params best = null;
        long bestBins = Long.MAX_VALUE;
        for (Object[] t : tried)
            if ((Double) t[1] <= minBits * SIZE_SLACK && (Long) t[2] < bestBins) {
                bestBins = (Long) t[2];
                best = (LevelBinarization.Params) t[0];
            }
        return best;
    }

    /**
     * The Rice parameter for {@link RiceLevelBinarization}: the candidates around the one a geometric distribution
     * of the same mean would use (2^k ≈ mean·ln 2) are costed on a sample; among those within {@link #SIZE_SLACK}
     * of the smallest, the one with the fewest coding operations wins.
     */
    public static int chooseRiceK(int[] q, byte[] base) {
        int n = Math.min(q.length, SAMPLE);
        double sum = 0;
        int cnt = 0;
        for (int i = 0; i < n; i++) {
            long m = Math.abs((long) q[i]);
            if (m >= 2) {
                sum += m - 2;
                cnt++;
            }
        }
        if (cnt == 0) return 0;
        double mean = sum / cnt;
        int k0 = mean * Math.log(2) <= 1 ? 0 : (int) Math.ceil(Math.log(mean * Math.log(2)) / Math.log(2));
        BitCostEstimator est = new BitCostEstimator();
        double minBits = Double.MAX_VALUE;
        double[] bits = new double[3];
        long[] bins = new long[3];
        for (int d = 0; d < 3; d++) {
            int k = Math.min(RiceLevelBinarization.MAX_K, Math.max(0, k0 - 1 + d));
            est.reset();
            RiceLevelBinarization.encode(q, 0, n, base, k, est, RiceLevelBinarization.contexts());
            bits[d] = est.bits();
            bins[d] = est.bins();
            minBits = Math.min(minBits, bits[d]);
        }
        int best = -1;
        for (int d = 0; d < 3; d++) if (bits[d] <= minBits * SIZE_SLACK && (best < 0 || bins[d] < bins[best])) best = d;
        return Math.min(RiceLevelBinarization.MAX_K, Math.max(0, k0 - 1 + best));
    }

    /** A level binarization: scheme ({@link io.nnzip.codec.TensorUnit#SCHEME_RICE} or SCHEME_ZIGZAG) and Rice parameter. */
    public record Choice(int scheme, int k) {}

    /**
     * The level binarization for format version 3: the three Rice parameters around the geometric guess for each
     * scheme (the zigzag scheme only without base classes) are costed on a sample; among those within
     * {@link #SIZE_SLACK} of the smallest, the one with the fewest coding operations wins.
     */
    public static Choice chooseLevelCoding(int[] q, byte[] base) { return chooseLevelCoding(q, base, false); }

    /** As {@link #chooseLevelCoding(int[], byte[])}; levels of dependent quantization use scheme 0 only. */
    public static Choice chooseLevelCoding(int[] q, byte[] base, boolean dependent) {
        int n = Math.min(q.length, SAMPLE);
        double sumR = 0, sumZ = 0;
        int cntR = 0;
        for (int i = 0; i < n; i++) {
            long m = Math.abs((long) q[i]);
            sumZ += 2 * m - (q[i] < 0 ? 1 : 0);
            if (m >= 2) {
                sumR += m - 2;
                cntR++;
            }
        }
        java.util.List<Choice> cands = new java.util.ArrayList<>();
        int kr = cntR == 0 ? 0 : riceGuess(sumR / cntR);
        for (int d = -1; d <= 1; d++) cands.add(new Choice(io.nnzip.codec.TensorUnit.SCHEME_RICE, clampK(kr + d)));
        if (base == null && n > 0 && !dependent) {
            int kz = riceGuess(sumZ / n);
            for (int d = -1; d <= 1; d++) cands.add(new Choice(io.nnzip.codec.TensorUnit.SCHEME_ZIGZAG, clampK(kz + d)));
        }
        BitCostEstimator est = new BitCostEstimator();
        double[] bits = new double[cands.size()];
        long[] bins = new long[cands.size()];
        double minBits = Double.MAX_VALUE;
        for (int c = 0; c < cands.size(); c++) {
            Choice ch = cands.get(c);
            est.reset();
            if (ch.scheme() == io.nnzip.codec.TensorUnit.SCHEME_ZIGZAG) io.nnzip.codec.binarize.ZigzagRiceBinarization.encode(q, 0, n, ch.k(), est, io.nnzip.codec.binarize.ZigzagRiceBinarization.contexts());
            else RiceLevelBinarization.encode(q, 0, n, base, ch.k(), dependent, est, RiceLevelBinarization.contexts());
            bits[c] = est.bits();
            bins[c] = est.bins();
            minBits = Math.min(minBits, bits[c]);
        }
        int best = 0;
        for (int c = 0; c < cands.size(); c++) if (bits[c] <= minBits * SIZE_SLACK && (bins[c] < bins[best] || bits[best] > minBits * SIZE_SLACK)) best = c;
        return cands.get(best);
    }

    // Rice parameter of a geometric distribution with this mean: 2^k ≈ mean · ln 2.
    private static int riceGuess(double mean) { return mean * Math.log(2) <= 1 ? 0 : (int) Math.ceil(Math.log(mean * Math.log(2)) / Math.log(2)); }

    private static int clampK(int k) { return Math.min(RiceLevelBinarization.MAX_K, Math.max(0, k)); }

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
