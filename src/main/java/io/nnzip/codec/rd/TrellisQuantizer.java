package io.nnzip.codec.rd;

import io.nnzip.codec.DependentQuantizer;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.ir.NnzipException;

/**
 * Rate–distortion level decisions by a Viterbi search: each weight may take the two grid points that bracket it (in
 * the quantizer its state allows), and the path minimizing Σ (x − x̂)²/Δ² + λ · bits wins, bits priced by running the
 * coder's own level binarization ({@link RiceLevelBinarization#level}) through a {@link BitCostEstimator} over frozen
 * context probabilities. With {@code dependent} the trellis has the four states of {@link DependentQuantizer};
 * without, one state, and the search is the greedy scalar RDOQ choice between rounding down and up. A survivor
 * carries the magnitudes of its last two levels, so neighbour contexts are priced along each path.
 * <p>Bracketing candidates only: the error of any weight stays below 2Δ (dependent: each quantizer's own spacing),
 * below Δ for scalar levels.
 */
public final class TrellisQuantizer {
    /** Levels and the reconstruction the search computed for them (what the decoder must reproduce). */
    public record Result(int[] levels, float[] reconstruction) {}

    private TrellisQuantizer() {}

    /**
     * @param ctx context states whose probabilities price the bins (not modified)
     * @param lambda price of one bit in units of Δ² of {@code steps}
     * @param slice the state restarts at 0 every {@code slice} levels, as the decoder's does
     */
    public static Result search(float[] w, float[] base, float[] steps, long[] dims, int axis, byte[] classes, boolean dependent, int k,
                                int[] ctx, double lambda, int slice) {
        int n = w.length, ns = dependent ? DependentQuantizer.STATES : 1;
        int[] lay = UniformQuantizer.layout(dims, axis);
        int channels = lay[0], inner = lay[1];
        int[] out = new int[n];
        float[] rec = new float[n];
        BitCostEstimator est = new BitCostEstimator(false);
        double[] cost = new double[ns], nCost = new double[ns];
        int[] a = new int[ns], b = new int[ns], ps = new int[ns], na = new int[ns], nb = new int[ns], nps = new int[ns];
        long[] cand = new long[2];
        for (int from = 0; from < n; from += slice) {
            int to = (int) Math.min(n, (long) from + slice), len = to - from;
            int[] lev = new int[len * ns];
            long[] mult = new long[len * ns];
            byte[] prev = new byte[len * ns];
            java.util.Arrays.fill(cost, Double.POSITIVE_INFINITY);
            cost[0] = 0;
            java.util.Arrays.fill(a, 0);
            java.util.Arrays.fill(b, 0);
            java.util.Arrays.fill(ps, 0);
            for (int i = from; i < to; i++) {
                double d = steps[channels == 1 ? 0 : (i / inner) % channels];
                double x = (base == null ? w[i] : (double) w[i] - base[i]) / d, ax = Math.abs(x);
                if (!(ax < 1 << 29)) throw new NnzipException("weight " + w[i] + " is out of range for step " + d + " (use a coarser QP or --lossless)");
                long sg = x < 0 ? -1 : 1;
                int bc = classes == null ? -1 : classes[i];
                java.util.Arrays.fill(nCost, Double.POSITIVE_INFINITY);
                for (int s = 0; s < ns; s++) {
                    if (cost[s] == Double.POSITIVE_INFINITY) continue;
                    int quantizer = dependent ? s >> 1 : -1;
                    bracket(ax, quantizer, cand);
                    for (long r : cand) {
                        // The level standing for the multiple r of Δ in this quantizer.
                        int q = (int) (sg * (quantizer < 0 ? r : quantizer == 0 ? r / 2 : (r + 1) / 2));
                        est.reset();
                        int sign = RiceLevelBinarization.level(est, ctx, q, a[s], b[s], bc, ps[s], k, Math.max(quantizer, 0));
                        double e = ax - r, j = cost[s] + e * e + lambda * est.bits();
                        int t = dependent ? DependentQuantizer.next(s, q) : 0;
                        if (j < nCost[t]) {
                            nCost[t] = j;
                            int at = (i - from) * ns + t;
                            lev[at] = q;
                            mult[at] = sg * r;
                            prev[at] = (byte) s;
                            na[t] = Math.abs(q);
                            nb[t] = a[s];
                            nps[t] = sign;
                        }
                    }
                }
                double[] tc = cost; cost = nCost; nCost = tc;
                int[] ta = a; a = na; na = ta;
                int[] tb = b; b = nb; nb = tb;
                int[] tp = ps; ps = nps; nps = tp;
            }
            int s = 0;
            for (int t = 1; t < ns; t++) if (cost[t] < cost[s]) s = t;
            for (int i = to - 1; i >= from; i--) {
                int at = (i - from) * ns + s;
                out[i] = lev[at];
                double r = mult[at] * (double) steps[channels == 1 ? 0 : (i / inner) % channels];
                rec[i] = (float) (base == null ? r : base[i] + r);
                s = prev[at];
            }
        }
        return new Result(out, rec);
    }

    // The two multiples of Δ around |x| that quantizer 0 (even multiples), 1 (zero and odd multiples) or −1 (all) offers.
    static void bracket(double ax, int quantizer, long[] cand) {
        long lo;
        if (quantizer < 0) lo = (long) ax;
        else if (quantizer == 0) lo = 2 * (long) (ax / 2);
        else lo = ax < 1 ? -1 : 2 * (long) ((ax - 1) / 2) + 1;
        if (lo < 0) {
            cand[0] = 0;
            cand[1] = 1;
        } else {
            cand[0] = lo;
            cand[1] = lo + (quantizer < 0 ? 1 : 2);
        }
    }
}
