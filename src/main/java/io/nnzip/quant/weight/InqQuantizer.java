package io.nnzip.quant.weight;

import io.nnzip.ir.Tensor;
import java.util.Arrays;

/**
 * Incremental network quantization (Zhou et al., 2017): weights become 0 or ±2^n with n in [n2, n1], where
 * n1 = floor(log2(4s/3)) for s = max |w| and n2 = n1 + 1 − 2^(bits−2) (one bit for zero/sign as in the paper).
 * Quantization is incremental: at each step the largest-magnitude share of the still-free weights is fixed to
 * the nearest power of two and the rest are left to re-training; {@link #fix} does one such step.
 */
public final class InqQuantizer {
    /** Accumulated shares of weights fixed after each step, as in the paper's schedule. */
    public static final double[] SCHEDULE = {0.5, 0.75, 0.875, 1.0};
    private final int bits;

    public InqQuantizer(int bits) { this.bits = bits; }

    /** Exponent bounds {n2, n1} for a layer. */
    public int[] exponents(float[] w) {
        double s = 0;
        for (float v : w) s = Math.max(s, Math.abs(v));
        int n1 = (int) Math.floor(Math.log(4 * s / 3) / Math.log(2));
        int n2 = n1 + 1 - (1 << Math.max(0, bits - 2));
        return new int[] {n2, n1};
    }

    /** Nearest value of {0, ±2^n2..±2^n1} (the paper's rule: values below 2^(n2-1) become 0). */
    public static float toPowerOfTwo(float v, int n2, int n1) {
        double a = Math.abs(v);
        if (a < Math.pow(2, n2 - 1)) return 0f;
        for (int n = n1; n >= n2; n--) {
            double p = Math.pow(2, n);
            if (a >= 0.75 * p) return (float) Math.copySign(p, v);
        }
        return (float) Math.copySign(Math.pow(2, n2), v);
    }

    /**
     * Fixes the largest {@code share} of all weights (by magnitude, counting those fixed before) to powers of two,
     * in place; {@code fixed} marks fixed weights (re-training must leave them alone).
     */
    public void fix(float[] w, boolean[] fixed, double share, int[] bounds) {
        int n = w.length, target = (int) Math.round(share * n);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(Math.abs(w[b]), Math.abs(w[a])));
        int count = 0;
        for (boolean f : fixed) if (f) count++;
        for (int oi = 0; oi < n && count < target; oi++) {
            int i = order[oi];
            if (fixed[i]) continue;
            w[i] = toPowerOfTwo(w[i], bounds[0], bounds[1]);
            fixed[i] = true;
            count++;
        }
    }

    /** Final encoding once every weight is fixed: a codebook of the distinct powers of two. */
    public EncodedWeight encode(Tensor original, float[] quantized, boolean uint4) {
        int[] b = exponents(original.toFloats());
        int levels = b[1] - b[0] + 1;
        float[] book = new float[2 * levels + 1];
        book[0] = 0;
        for (int i = 0; i < levels; i++) {
            book[1 + i] = (float) Math.pow(2, b[0] + i);
            book[1 + levels + i] = -book[1 + i];
        }
        int[] index = new int[quantized.length];
        for (int i = 0; i < quantized.length; i++) {
            float v = quantized[i];
            int best = 0;
            for (int j = 1; j < book.length; j++) if (Math.abs(book[j] - v) < Math.abs(book[best] - v)) best = j;
            index[i] = best;
        }
        return Codebook.encode(original, book, index, bits, uint4);
    }
}
