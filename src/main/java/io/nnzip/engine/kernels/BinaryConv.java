package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
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
        par.forRange(n, 1, (lo, hi) -> packInput(x, threshold, lo * c, hi * c, c, h * w, cw, packed));
        par.forRange(n * p, 1, (lo, hi) -> {
            long[] patch = new long[wt.words() + 1], mask = new long[wt.words() + 1];
            long[] acc = new long[wt.kPad()];
            for (int row = lo; row < hi; row++) {
                int img = row / p, oh = row % p;
                for (int ow = 0; ow < q; ow++) {
                    boolean padded = gather(g, packed, img, oh, ow, cw, patch, mask);
                    int base = 0;
                    if (pm1) {
                        for (int i = 0; i < wt.words(); i++) base += Long.bitCount(mask[i]);
                        dot(wt, patch, padded ? mask : null, true, acc);
                    } else {
                        for (int i = 0; i < wt.words(); i++) base += Long.bitCount(patch[i]);
                        dot(wt, patch, null, false, acc);
                    }
                    int out = img * wt.k() * p * q + oh * q + ow, plane = p * q;
                    for (int o = 0; o < wt.k(); o++) {
                        long dot = pm1 ? base - 2 * acc[o] : 2 * acc[o] - base;
                        float v = wt.alpha()[o] * dot + wt.bias()[o];
                        y[out + o * plane] = relu && v < 0 ? 0f : v;
                    }
                }
            }
        });
    }

    /** Planes lo..hi of (N·C), whole images (their channels share words): bit c of pixel (n, hw) set where x > threshold. */
    static void packInput(float[] x, float t, int lo, int hi, int c, int hw, int cw, long[] out) {
        for (int plane = lo; plane < hi; plane++) {
            int img = plane / c, ch = plane % c, word = ch >>> 6;
            long bit = 1L << (ch & 63);
            int src = plane * hw, dst = img * hw * cw + word;
            for (int i = 0; i < hw; i++)
                if (x[src + i] > t) out[dst + i * cw] |= bit;
        }
    }

    /** The receptive field of output (oh, ow) as a bit string in (r, s, c) order; mask marks the taps inside the image. */
    static boolean gather(ConvGeometry g, long[] packed, int img, int oh, int ow, int cw, long[] patch, long[] mask) {
        java.util.Arrays.fill(patch, 0L);
        java.util.Arrays.fill(mask, 0L);
        int c = g.c(), h = g.h(), w = g.w();
        boolean padded = false;
        int off = 0;
        for (int ri = 0; ri < g.r(); ri++) {
            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
            for (int si = 0; si < g.s(); si++, off += c) {
                int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                    padded = true;
                    continue;
                }
                int src = ((img * h + ih) * w + iw) * cw;
                for (int j = 0, rest = c; j < cw; j++, rest -= 64) {
                    int nb = Math.min(64, rest), at = off + 64 * j;
                    append(patch, at, packed[src + j], nb);
                    append(mask, at, nb == 64 ? -1L : (1L << nb) - 1, nb);
                }
            }
        }
        return padded;
    }

    private static void append(long[] dst, int at, long v, int nb) {
        int word = at >>> 6, sh = at & 63;
        dst[word] |= v << sh;
        if (sh != 0 && sh + nb > 64) dst[word + 1] |= v >>> (64 - sh);
    }

    /** acc[k] = Σ_words popcount(patch AND w_k) (or of XOR, masked when {@code mask} is given). */
    static void dot(Weights wt, long[] patch, long[] mask, boolean xor, long[] acc) {
        int lanes = L.length(), kPad = wt.kPad(), words = wt.words();
        long[] bits = wt.bits();
        for (int kb = 0; kb < kPad; kb += lanes * BLOCK) {
            LongVector a0 = LongVector.zero(L), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < words; i++) {
                long word = patch[i];
                if (!xor && word == 0) continue;
                LongVector v = LongVector.broadcast(L, word);
                int at = i * kPad + kb;
                LongVector w0 = LongVector.fromArray(L, bits, at), w1 = LongVector.fromArray(L, bits, at + lanes);
                LongVector w2 = LongVector.fromArray(L, bits, at + 2 * lanes), w3 = LongVector.fromArray(L, bits, at + 3 * lanes);
                if (xor) {
                    if (mask != null) {
                        LongVector m = LongVector.broadcast(L, mask[i]);
                        w0 = w0.lanewise(VectorOperators.XOR, v).and(m);
                        w1 = w1.lanewise(VectorOperators.XOR, v).and(m);
                        w2 = w2.lanewise(VectorOperators.XOR, v).and(m);
                        w3 = w3.lanewise(VectorOperators.XOR, v).and(m);
                    } else {
                        w0 = w0.lanewise(VectorOperators.XOR, v);
                        w1 = w1.lanewise(VectorOperators.XOR, v);
                        w2 = w2.lanewise(VectorOperators.XOR, v);
                        w3 = w3.lanewise(VectorOperators.XOR, v);
                    }
                } else {
                    w0 = w0.and(v);
                    w1 = w1.and(v);
                    w2 = w2.and(v);
                    w3 = w3.and(v);
                }
                a0 = a0.add(w0.lanewise(VectorOperators.BIT_COUNT));
                a1 = a1.add(w1.lanewise(VectorOperators.BIT_COUNT));
                a2 = a2.add(w2.lanewise(VectorOperators.BIT_COUNT));
                a3 = a3.add(w3.lanewise(VectorOperators.BIT_COUNT));
            }
            a0.intoArray(acc, kb);
            a1.intoArray(acc, kb + lanes);
            a2.intoArray(acc, kb + 2 * lanes);
            a3.intoArray(acc, kb + 3 * lanes);
        }
    }
}
