package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution of a thresholded (binary) input with ±α weights, by bit operations: each input pixel's channels
 * become bits (x > threshold), each output position's receptive field a bit string in (r, s, c) order, each
 * output channel's weight signs the same string; a dot product is then a few AND/XOR and popcounts.
 * <pre>x: (N,C,H,W) float, weights: (K, C·R·S) signs + α: (K), bias: (K) -> y: (N,K,P,Q)</pre>
 * Two activation codings (what the bit b of an input means):
 * <ul>
 * <li>{0,1} ({@code pm1 = false}, sparsity-inducing BNN): a = b, so Σ a·s = 2·popcount(a AND w⁺) − popcount(a);
 * zero padding is a 0 bit;</li>
 * <li>±1 (XNOR-Net): a = 2b − 1, so Σ a·s = n − 2·popcount(a XOR w) over the n taps inside the image; padded
 * taps are masked out of the XOR (they are 0, not −1).</li>
 * </ul>
 * The popcounts run across output channels: the weight words are stored tap-word-major, {@code K} lanes wide, so
 * one input word, broadcast, meets a whole vector of output channels per AND/XOR + BIT_COUNT. A Gemm is the
 * 1×1 case with H = W = 1.
 */
public final class BinaryConv {
    static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Output-channel block: this many vectors of accumulators stay in registers over a position's words. */
    static final int BLOCK = 4;

    /** Packed weights: {@code words} bit words per output channel, stored [word][kPad]; α and bias per channel. */
    public record Weights(int k, int c, int r, int s, int words, int kPad, long[] bits, float[] alpha, float[] bias) {}

    private BinaryConv() {}

    /** Packs a (K, C, R, S) weight whose rows are ±α_k: bit = w > 0, α_k = mean |w| of the row. */
    public static Weights pack(float[] w, int k, int c, int r, int s, float[] bias) {
        int n = c * r * s, words = (n + 63) >>> 6, block = L.length() * BLOCK, kPad = (k + block - 1) / block * block;
        long[] bits = new long[words * kPad];
        float[] alpha = new float[k];
        for (int o = 0; o < k; o++) {
            double sum = 0;
            for (int ci = 0; ci < c; ci++)
                for (int ri = 0; ri < r; ri++)
                    for (int si = 0; si < s; si++) {
                        float v = w[((o * c + ci) * r + ri) * s + si];
                        sum += Math.abs(v);
                        int bit = (ri * s + si) * c + ci;
                        if (v > 0) bits[(bit >>> 6) * kPad + o] |= 1L << (bit & 63);
                    }
            alpha[o] = (float) (sum / n);
        }
        return new Weights(k, c, r, s, words, kPad, bits, alpha, bias == null ? new float[k] : bias.clone());
    }

    /** Runs the convolution; {@code g}'s K, C, R, S must match {@code wt}, group 1. */
    public static void forward(ConvGeometry g, float[] x, float threshold, boolean pm1, Weights wt, float[] y, boolean relu, Parallel par) {
        int n = g.n(), c = g.c(), h = g.h(), w = g.w(), p = g.p(), q = g.q(), cw = (c + 63) >>> 6;
        long[] packed = new long[n * h * w * cw];
        par.forRange(n, 1, (lo, hi) -> packImages(x, threshold, lo, hi, c, h * w, cw, packed));
        par.forRange(n * p, 1, (lo, hi) -> {
            long[] patch = new long[wt.words() + 1], mask = new long[wt.words() + 1];
            long[] acc = new long[q * wt.kPad()];
            int[] base = new int[q];
            for (int row = lo; row < hi; row++) row(g, packed, cw, row, pm1, wt, patch, mask, acc, base, y, relu);
        });
    }

    /** One output row (image, oh): the popcounts of every position, then K contiguous runs of Q outputs. */
    private static void row(ConvGeometry g, long[] packed, int cw, int row, boolean pm1, Weights wt, long[] patch, long[] mask, long[] acc,
                            int[] base, float[] y, boolean relu) {
        int p = g.p(), q = g.q(), img = row / p, oh = row % p, kPad = wt.kPad(), words = wt.words();
        for (int ow = 0; ow < q; ow++) {
            gather(g, packed, img, oh, ow, cw, patch, pm1 ? mask : null);
            int b = 0;
            long[] counted = pm1 ? mask : patch;
            for (int i = 0; i < words; i++) b += Long.bitCount(counted[i]);
            base[ow] = b;
            // ±1: the mask is all ones inside the image, so one masked loop serves padded and interior positions
            if (!pm1) dotAnd(wt, patch, acc, ow * kPad);
            else dotXorMasked(wt, patch, mask, acc, ow * kPad);
        }
        int plane = p * q, out = img * wt.k() * plane + oh * q;
        float[] alpha = wt.alpha(), bias = wt.bias();
        for (int o = 0; o < wt.k(); o++, out += plane) {
            float a = alpha[o], c = bias[o];
            for (int ow = 0; ow < q; ow++) {
                long cnt = acc[ow * kPad + o];
                float v = a * (pm1 ? base[ow] - 2 * cnt : 2 * cnt - base[ow]) + c;
                y[out + ow] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    /**
     * Images lo..hi (their channels share words): bit c of pixel (n, hw) set where x > threshold, a vector of
     * pixels at a time per channel plane, into the pixels' low or high half-words.
     */
    static void packImages(float[] x, float t, int lo, int hi, int c, int hw, int cw, long[] out) {
        int lanes = F.length(), vecEnd = hw - hw % lanes;
        int[] low = new int[lanes], high = new int[lanes];
        FloatVector tv = FloatVector.broadcast(F, t);
        for (int img = lo; img < hi; img++) {
            for (int word = 0; word < cw; word++) {
                int c0 = word * 64, c1 = Math.min(c, c0 + 64);
                for (int i = 0; i < vecEnd; i += lanes) {
                    IntVector a = IntVector.zero(I), b = a;
                    // the sign bit of t − x is 1 exactly where x > t: shifted into place, no masks or branches
                    for (int ch = c0; ch < Math.min(c1, c0 + 32); ch++)
                        a = a.or(tv.sub(FloatVector.fromArray(F, x, (img * c + ch) * hw + i)).reinterpretAsInts().lanewise(VectorOperators.LSHR, 31)
                                .lanewise(VectorOperators.LSHL, ch & 31));
                    for (int ch = c0 + 32; ch < c1; ch++)
                        b = b.or(tv.sub(FloatVector.fromArray(F, x, (img * c + ch) * hw + i)).reinterpretAsInts().lanewise(VectorOperators.LSHR, 31)
                                .lanewise(VectorOperators.LSHL, ch & 31));
                    a.intoArray(low, 0);
                    b.intoArray(high, 0);
                    for (int l = 0; l < lanes; l++) out[(img * hw + i + l) * cw + word] = (long) high[l] << 32 | (low[l] & 0xffffffffL);
                }
                for (int i = vecEnd; i < hw; i++) {
                    long v = 0;
                    for (int ch = c0; ch < c1; ch++) v |= (long) (Float.floatToRawIntBits(t - x[(img * c + ch) * hw + i]) >>> 31) << (ch & 63);
                    out[(img * hw + i) * cw + word] = v;
                }
            }
        }
    }

    /**
     * The receptive field of output (oh, ow) as a bit string in (r, s, c) order, written word by word; with
     * {@code mask} non-null also the bit string of taps inside the image. Returns whether any tap was padding.
     */
    static boolean gather(ConvGeometry g, long[] packed, int img, int oh, int ow, int cw, long[] patch, long[] mask) {
        int c = g.c(), h = g.h(), w = g.w(), last = c - 64 * (cw - 1);
        long lastOnes = last == 64 ? -1L : (1L << last) - 1;
        boolean padded = false;
        long cur = 0, curMask = 0;
        int fill = 0, out = 0;
        for (int ri = 0; ri < g.r(); ri++) {
            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
            for (int si = 0; si < g.s(); si++) {
                int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                padded |= !inside;
                int src = ((img * h + ih) * w + iw) * cw;
                for (int j = 0; j < cw; j++) {
                    int nb = j == cw - 1 ? last : 64;
                    long v = inside ? packed[src + j] : 0L, m = inside ? (nb == 64 ? -1L : lastOnes) : 0L;
                    cur |= v << fill;
                    curMask |= m << fill;
                    fill += nb;
                    if (fill >= 64) {
                        fill -= 64;
                        if (mask != null) mask[out] = curMask;
                        patch[out++] = cur;
                        // the bits of v that did not fit (none when the word was filled exactly)
                        cur = fill == 0 ? 0L : v >>> (nb - fill);
                        curMask = fill == 0 ? 0L : m >>> (nb - fill);
                    }
                }
            }
        }
        if (fill > 0) {
            if (mask != null) mask[out] = curMask;
            patch[out] = cur;
        }
        return padded;
    }

    // acc[off + k] = Σ_words popcount(patch AND w_k) / popcount((patch XOR w_k) AND mask).
    // One straight-line loop per case: vector values merged across branches would be boxed.
    private static void dotAnd(Weights wt, long[] patch, long[] acc, int off) {
        int lanes = L.length(), kPad = wt.kPad(), words = wt.words();
        long[] bits = wt.bits();
        for (int kb = 0; kb < kPad; kb += lanes * BLOCK) {
            LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < words; i++) {
                LongVector v = LongVector.broadcast(L, patch[i]);
                int at = i * kPad + kb;
                a0 = a0.add(LongVector.fromArray(L, bits, at).and(v).lanewise(VectorOperators.BIT_COUNT));
                a1 = a1.add(LongVector.fromArray(L, bits, at + lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
                a2 = a2.add(LongVector.fromArray(L, bits, at + 2 * lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
                a3 = a3.add(LongVector.fromArray(L, bits, at + 3 * lanes).and(v).lanewise(VectorOperators.BIT_COUNT));
            }
            a0.intoArray(acc, off + kb);
            a1.intoArray(acc, off + kb + lanes);
            a2.intoArray(acc, off + kb + 2 * lanes);
            a3.intoArray(acc, off + kb + 3 * lanes);
        }
    }

    private static void dotXorMasked(Weights wt, long[] patch, long[] mask, long[] acc, int off) {
        int lanes = L.length(), kPad = wt.kPad(), words = wt.words();
        long[] bits = wt.bits();
        for (int kb = 0; kb < kPad; kb += lanes * BLOCK) {
            LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < words; i++) {
                LongVector v = LongVector.broadcast(L, patch[i]), m = LongVector.broadcast(L, mask[i]);
                int at = i * kPad + kb;
                a0 = a0.add(LongVector.fromArray(L, bits, at).lanewise(VectorOperators.XOR, v).and(m).lanewise(VectorOperators.BIT_COUNT));
                a1 = a1.add(LongVector.fromArray(L, bits, at + lanes).lanewise(VectorOperators.XOR, v).and(m).lanewise(VectorOperators.BIT_COUNT));
                a2 = a2.add(LongVector.fromArray(L, bits, at + 2 * lanes).lanewise(VectorOperators.XOR, v).and(m).lanewise(VectorOperators.BIT_COUNT));
                a3 = a3.add(LongVector.fromArray(L, bits, at + 3 * lanes).lanewise(VectorOperators.XOR, v).and(m).lanewise(VectorOperators.BIT_COUNT));
            }
            a0.intoArray(acc, off + kb);
            a1.intoArray(acc, off + kb + lanes);
            a2.intoArray(acc, off + kb + 2 * lanes);
            a3.intoArray(acc, off + kb + 3 * lanes);
        }
    }
}
