package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.Arrays;

/**
 * Finds the finest QP whose coded weights fit a budget of {@code bits} per quantized weight. The rate at each QP is
 * what the {@link BitCostEstimator} says the real binarization costs on a sample of every weight tensor (with the
 * RD-chosen rounding), scaled to the tensor's size; the search is a bisection over integer QPs.
 */
public final class BitBudget {
    private BitBudget() {}

    public static int findQp(Model m, double bits, CodecOptions o) {
        if (!(bits > 0)) throw new NnzipException("--bits must be positive, got " + bits);
        int lo = CodecOptions.QP_MIN, hi = CodecOptions.QP_MAX;
        if (estimate(m, o.withQp(hi)) > bits) return hi;
        while (lo < hi) {
            int mid = Math.floorDiv(lo + hi, 2);
            if (estimate(m, o.withQp(mid)) <= bits) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /** Estimated bits per quantized weight at the options' QP. */
    public static double estimate(Model m, CodecOptions o) {
        double bits = 0;
        long n = 0;
        for (var e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT || t.rank() < 2 || t.size() < CodecOptions.MIN_QUANTIZED) continue;
            float[] w = t.floats();
            int s = Math.min(w.length, 1 << 14);
            float[] ws = Arrays.copyOf(w, s);
            long[] dims = {s};
            float[] steps = UniformQuantizer.steps(w, null, new long[] {w.length}, -1, o.qpFor(e.getKey()));
            double theta = Double.isNaN(o.rounding()) ? RoundingChooser.choose(ws, null, steps, dims, -1, null) : o.rounding();
            int[] q = new int[s];
            UniformQuantizer.quantize(ws, null, steps, dims, -1, theta, q);
            int k = BinarizationChooser.chooseRiceK(q, null);
            BitCostEstimator est = new BitCostEstimator();
            RiceLevelBinarization.encode(q, 0, s, null, k, est, RiceLevelBinarization.contexts());
            bits += est.bits() * ((double) w.length / s);
            n += w.length;
        }
        return n == 0 ? 0 : bits / n;
    }
}
