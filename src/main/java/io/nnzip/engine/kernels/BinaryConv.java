package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution of a thresholded (binary) input with ±α weights, by bit operations. Activations travel between bit
 * layers packed: bit c of pixel (n, h, w) is x > threshold, the channels of one pixel in ⌈C/32⌉ whole 32-bit words
 * ({@code (N, H, W, ⌈C/32⌉)} ints), so the receptive field of a position is a list of word runs, one per tap —
 * nothing is gathered or shifted. (32-bit words: a 32-channel layer fills its words, where 64-bit ones were half
 * empty, and an int vector counts twice the channels of a long one per instruction.)
 * <pre>x: (N,H,W,⌈C/32⌉) bits, weights: (K, R·S·⌈C/32⌉) words + α, bias: (K) -> y: floats (N,K,P',Q') or bits (N,P',Q',⌈K/32⌉)</pre>
 * With b the input bits and w the weight sign bits (w = 1 for +α), over the n real channel bits of the inside taps:
 * <ul>
 * <li>{0,1} activations (sparsity-inducing BNN): Σ a·s = 2·popcount(b AND w) − popcount(b);</li>
 * <li>±1 activations (XNOR-Net): a = 2b − 1, s = 2w − 1, so Σ a·s = 4·popcount(b AND w) − 2·popcount(b)
 * − 2·popcount(w) + n; popcount(w) over the inside taps comes from per-tap counts, so both codings run the same
 * AND kernel.</li>
 * </ul>
 * The popcounts run across output channels: weight words are stored word-major, K lanes wide, so one input word,
 * broadcast, meets a vector of output channels per AND + BIT_COUNT ({@link BitWords}). A Gemm is the 1×1 case.
 */
public final class BinaryConv {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    /**
     * Packed weights: bit (tap, c) of output channel k is bit c mod 32 of {@code bits[(tap·cw + c/32)·kPad + k]};
     * {@code tapOnes[tap·kPad + k]} counts the +α weights of a tap, {@code ones[k]} of the whole channel.
     */
    public record Weights(int k, int c, int r, int s, int cw, int kPad, int[] bits, float[] alpha, float[] bias, int[] tapOnes, int[] ones) {}

    /**
     * What a layer writes: floats act(y) (N,K,P',Q'), or bits act(y) > {@code threshold} (N,P',Q',⌈K/32⌉) ints; act is
     * the optional ReLU, then the optional unpadded max-pool. For bits the pool is an OR: thresholding is monotone,
     * so the max of a window is above the threshold exactly when one of its values is.
     */
    public record Epilogue(boolean relu, Conv2d.Pool pool, boolean bits, float threshold) {
        public static Epilogue floats(boolean relu, Conv2d.Pool pool) { return new Epilogue(relu, pool, false, 0f); }
    }

    /** The float output of {@link #convToBits} before packing, reused across calls (a fresh one per call cost more than the conv). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private BinaryConv() {}

    private static float[] scratch(int size) {
        float[] s = SCRATCH.get();
        if (s.length < size) SCRATCH.set(s = new float[size]);
        return s;
    }

    /** Words per pixel for {@code c} channels. */
    public static int words(int c) { return (c + 31) >>> 5; }

    /** Packs a (K, C, R, S) weight whose rows are ±α_k: bit = w > 0, α_k = mean |w| of the row. */
    public static Weights pack(float[] w, int k, int c, int r, int s, float[] bias) {
        int n = c * r * s, cw = words(c), kPad = BitWords.kPad(k), taps = r * s;
        int[] bits = new int[taps * cw * kPad], tapOnes = new int[taps * kPad], ones = new int[kPad];
        float[] alpha = new float[k];
        for (int o = 0; o < k; o++) {
            double sum = 0;
            for (int ci = 0; ci < c; ci++)
                for (int tap = 0; tap < taps; tap++) {
                    float v = w[(o * c + ci) * taps + tap];
                    sum += Math.abs(v);
                    if (v > 0) {
                        bits[(tap * cw + (ci >>> 5)) * kPad + o] |= 1 << (ci & 31);
                        tapOnes[tap * kPad + o]++;
                        ones[o]++;
                    }
                }
            alpha[o] = (float) (sum / n);
        }
        return new Weights(k, c, r, s, cw, kPad, bits, alpha, bias == null ? new float[k] : bias.clone(), tapOnes, ones);
    }

    /** Thresholds a float (N,C,H,W) input and runs the convolution into floats (N,K,P,Q); {@code g} must match {@code wt}, group 1. */
    public static void forward(ConvGeometry g, float[] x, float threshold, boolean pm1, Weights wt, float[] y, boolean relu, Parallel par) {
        int[] packed = packInput(x, threshold, g.n(), g.c(), g.h() * g.w(), par);
        BitWords.run(g, packed, pm1, wt, Epilogue.floats(relu, null), y, null, par);
    }

    /** Runs on packed bits x (N,H,W,⌈C/32⌉) into floats {@code yf} or bits {@code yb} (zeroed), per {@code ep}. */
    public static void run(ConvGeometry g, int[] x, boolean pm1, Weights wt, Epilogue ep, float[] yf, int[] yb, Parallel par) {
        BitWords.run(g, x, pm1, wt, ep, yf, yb, par);
    }

    /** Float (N,C,HW) to bits (N,HW,⌈C/32⌉): bit set where x > t. */
    public static int[] packInput(float[] x, float t, int n, int c, int hw, Parallel par) {
        int cw = words(c);
        int[] packed = new int[n * hw * cw];
        par.forRange(n, 1, (lo, hi) -> packImages(x, t, lo, hi, c, hw, cw, packed));
        return packed;
    }

    /**
     * Images lo..hi of x into out: bit c of pixel (n, hw) set where x > threshold, a vector of pixels at a time per
     * 32-channel word; with one word per pixel the vector is stored as is.
     */
    static void packImages(float[] x, float t, int lo, int hi, int c, int hw, int cw, int[] out) {
        int lanes = F.length(), vecEnd = hw - hw % lanes;
        int[] tmp = new int[lanes];
        FloatVector tv = FloatVector.broadcast(F, t);
        for (int img = lo; img < hi; img++) {
            int src = img * c * hw, dst = img * hw * cw;
            for (int word = 0; word < cw; word++) {
                int c0 = word * 32, c1 = Math.min(c, c0 + 32);
                for (int i = 0; i < vecEnd; i += lanes) {
                    IntVector a = IntVector.zero(I);
                    // the sign bit of t − x is 1 exactly where x > t: shifted into place, no masks or branches
                    for (int ch = c0; ch < c1; ch++)
                        a = a.or(tv.sub(FloatVector.fromArray(F, x, src + ch * hw + i)).reinterpretAsInts().lanewise(VectorOperators.LSHR, 31)
                                .lanewise(VectorOperators.LSHL, ch & 31));
                    if (cw == 1) a.intoArray(out, dst + i);
                    else {
                        a.intoArray(tmp, 0);
                        for (int l = 0; l < lanes; l++) out[dst + (i + l) * cw + word] = tmp[l];
                    }
                }
                for (int i = vecEnd; i < hw; i++) {
                    int v = 0;
                    for (int ch = c0; ch < c1; ch++) v |= (Float.floatToRawIntBits(t - x[src + ch * hw + i]) >>> 31) << (ch & 31);
                    out[dst + i * cw + word] = v;
                }
            }
        }
    }

    /**
     * Float conv (any group, with its own bias/ReLU/pool epilogue) whose output goes straight to bits for a bit
     * layer: the floats land in a reused buffer and only the bits are handed on. (Chunks of 16 images were tried to
     * pack while in cache: the float conv's per-call set-up then cost 3× the whole layer.)
     * <pre>x: (N,C,H,W) -> bits (N,P',Q',⌈K/32⌉) of y > threshold</pre>
     */
    public static int[] convToBits(ConvGeometry g, float[] x, float[] w, float[] bias, boolean relu, Conv2d.Pool pool, float threshold, Parallel par) {
        int p = pool == null ? g.p() : pool.out(g.p(), true), q = pool == null ? g.q() : pool.out(g.q(), false);
        int k = g.k(), kw = words(k), plane = p * q;
        int[] out = new int[g.n() * plane * kw];
        float[] y = scratch(g.n() * k * plane);
        Conv2d.forward(g, x, w, bias, y, relu, pool, par);
        par.forRange(g.n(), 1, (lo, hi) -> packImages(y, threshold, lo, hi, k, plane, kw, out));
        return out;
    }
}
