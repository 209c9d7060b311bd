package io.nnzip.codec.rd;

import io.nnzip.codec.DependentQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.ir.NnzipException;

/**
 * Error-compensated level decisions by a Viterbi search: the GPTQ update of {@link ErrorCompensation} and the
 * rate–distortion trellis of {@link TrellisQuantizer} in one pass. A weight matrix of {@code rows} rows of {@code d}
 * inputs is visited in coding order (row by row, inputs in order), and every survivor of the trellis carries its
 * own copy of the current row, adjusted by the errors of the levels on its path:
 * <pre>
 *   cost of a level at input j:  g · ((x − x̂)/Δ)² / U_jj²  +  λ · bits        (x: the survivor's adjusted weight)
 *   then on that survivor:       x_k −= (x − x̂) / U_jj · U_jk     for k &gt; j
 * </pre>
 * (x − x̂)²/U_jj² is the growth of the layer's output error (w − ŵ)ᵀH(w − ŵ) that GPTQ's update leaves after
 * quantizing input j; g = 1 / mean_j(1/U_jj²) puts it in the units of a plain squared error, so λ means what it
 * means in {@link RdQuantization}. With {@code dependent} the levels are those of {@link DependentQuantizer} (four
 * states, union grid Δ/2, each quantizer of spacing Δ); without, one state and the scalar grid Δ: GPTQ with
 * rate-aware level choices. Each candidate is one of the two grid points bracketing the survivor's adjusted weight
 * in its state's quantizer. Bits are priced by the coder's own binarization over frozen context probabilities.
 * <p>The work is about {@code states} times GPTQ's (each survivor updates its own row).
 */
public final class CompensatedTrellis {
    /** Levels, and the reconstruction the decoder computes for them (with the unit's steps: Δ/2 if dependent, else Δ). */
    public record Result(int[] levels, float[] reconstruction) {}

    private CompensatedTrellis() {}

    /**
     * @param w weights, {@code rows × d} row-major (d = u.length)
     * @param u upper factor of (H + δI)^−1 ({@link ErrorCompensation#factor})
     * @param step the scalar step Δ
     * @param k Rice parameter the bits are priced with; {@code ctx} the frozen context states that price them
     * @param slice the dependent state restarts at 0 every {@code slice} levels, as the decoder's does
     */
    public static Result search(float[] w, double[][] u, double step, boolean dependent, double lambda, int k, int[] ctx, int slice) {
        int d = u.length, n = w.length, ns = dependent ? DependentQuantizer.STATES : 1;
        if (d == 0 || n % d != 0) throw new NnzipException("compensated trellis: " + n + " weights are not rows of " + d);
        double inv = 0;
        for (int j = 0; j < d; j++) inv += 1 / (u[j][j] * u[j][j]);
        double g = d / inv;
        double[] wt = new double[d];
        for (int j = 0; j < d; j++) wt[j] = g / (u[j][j] * u[j][j]);
        int[] out = new int[n];
        float[] rec = new float[n];
        BitCostEstimator est = new BitCostEstimator(false);
        double[][] rows = new double[ns][d], nRows = new double[ns][d];
        double[] cost = new double[ns], nCost = new double[ns];
        int[] a = new int[ns], b = new int[ns], na = new int[ns], nb = new int[ns];
        int[] fromState = new int[ns];
        double[] fromErr = new double[ns];
        long[] cand = new long[2];
        double half = dependent ? step / 2 : step;
        for (int from = 0; from < n; from += slice) {
            int to = (int) Math.min(n, (long) from + slice), len = to - from;
            int[] lev = new int[len * ns];
            long[] mult = new long[len * ns];
            byte[] prev = new byte[len * ns];
            // Survivors at the slice start: state 0 only, carrying the row as the previous slice left it (or fresh).
            double[] carry = from % d == 0 ? null : rows[0].clone();
            java.util.Arrays.fill(cost, Double.POSITIVE_INFINITY);
            cost[0] = 0;
            java.util.Arrays.fill(a, 0);
            java.util.Arrays.fill(b, 0);
            if (carry != null) rows[0] = carry;
            for (int i = from; i < to; i++) {
                int j = i % d;
                if (j == 0) for (int s = 0; s < ns; s++) if (cost[s] < Double.POSITIVE_INFINITY) for (int c = 0; c < d; c++) rows[s][c] = w[i + c];
                java.util.Arrays.fill(nCost, Double.POSITIVE_INFINITY);
                for (int s = 0; s < ns; s++) {
                    if (cost[s] == Double.POSITIVE_INFINITY) continue;
                    double x = rows[s][j] / step * (dependent ? 2 : 1), ax = Math.abs(x);
                    if (!(ax < 1 << 29)) throw new NnzipException("weight " + rows[s][j] + " is out of range for step " + step + " (use a coarser QP)");
                    long sg = x < 0 ? -1 : 1;
                    int quantizer = dependent ? s >> 1 : -1;
                    TrellisQuantizer.bracket(ax, quantizer, cand);
                    for (long r : cand) {
                        int q = (int) (sg * (quantizer < 0 ? r : quantizer == 0 ? r / 2 : (r + 1) / 2));
                        est.reset();
                        RiceLevelBinarization.level(est, ctx, q, a[s], b[s], -1, 0, k, Math.max(quantizer, 0));
                        // error in units of Δ (the union grid's multiples are Δ/2 apart when dependent)
                        double e = (ax - r) * (dependent ? 0.5 : 1), jc = cost[s] + wt[j] * e * e + lambda * est.bits();
                        int t = dependent ? DependentQuantizer.next(s, q) : 0;
                        if (jc < nCost[t]) {
                            nCost[t] = jc;
                            int at = (i - from) * ns + t;
                            lev[at] = q;
                            mult[at] = sg * r;
                            prev[at] = (byte) s;
                            na[t] = Math.abs(q);
                            nb[t] = a[s];
                            fromState[t] = s;
                            fromErr[t] = rows[s][j] - sg * r * half;
                        }
                    }
                }
                // Each new survivor: its predecessor's row with this input's error spread over the inputs after it.
                double[] uj = u[j];
                for (int t = 0; t < ns; t++) {
                    if (nCost[t] == Double.POSITIVE_INFINITY) continue;
                    double[] src = rows[fromState[t]], dst = nRows[t];
                    double e = fromErr[t] / uj[j];
                    for (int c = j + 1; c < d; c++) dst[c] = src[c] - e * uj[c];
                }
                double[][] tr = rows; rows = nRows; nRows = tr;
                double[] tc = cost; cost = nCost; nCost = tc;
                int[] ta = a; a = na; na = ta;
                int[] tb = b; b = nb; nb = tb;
            }
            int s = 0;
            for (int t = 1; t < ns; t++) if (cost[t] < cost[s]) s = t;
            if (s != 0) { double[] r0 = rows[0]; rows[0] = rows[s]; rows[s] = r0; }
            for (int i = to - 1; i >= from; i--) {
                int at = (i - from) * ns + s;
                out[i] = lev[at];
                rec[i] = (float) (mult[at] * half);
                s = prev[at];
            }
        }
        return new Result(out, rec);
    }
}
