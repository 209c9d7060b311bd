package io.nnzip.codec.binarize;

import io.nnzip.codec.bits.BitReader;
import io.nnzip.codec.bits.BitWriter;
import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Lossless binarization of IEEE-style floats: float32 (8-bit exponent, 23-bit mantissa) and, from format version 3,
 * float16 (5, 10) and bfloat16 (8, 7). A value splits into sign, E-bit exponent and M-bit mantissa:
 * <pre>
 *   sign                  context: sign of the previous value
 *   exponent              E bins down a binary tree (2^E − 1 nodes), × 4 classes of the previous exponent
 *                         relative to the tensor's median exponent
 *   mantissa_is_zero      only if exponent = 0 (so ±0 and sparse tensors cost a couple of bins)
 *   mantissa top 3 bits   binary tree × exponent (the density falls across an octave, so these are skewed)
 *   mantissa low M−3 bits raw, into a separate bit stream (they are close to uniform)
 * </pre>
 * Trained weights have exponents concentrated in a few octaves, so the exponent carries ~2–3 bits instead of E.
 */
public final class FloatBinarization {
    public static final int TOP_BITS = 3;
    /** The float32 layout's raw mantissa bits. */
    public static final int RAW_BITS = 23 - TOP_BITS;
    public static final FloatBinarization FLOAT32 = new FloatBinarization(8, 23);
    public static final FloatBinarization FLOAT16 = new FloatBinarization(5, 10);
    public static final FloatBinarization BFLOAT16 = new FloatBinarization(8, 7);

    private static final FloatBinarization[] REDUCED = new FloatBinarization[24];

    static {
        for (int m = TOP_BITS; m <= 23; m++) REDUCED[m] = new FloatBinarization(8, m);
    }

    /** float32 with its mantissa cut to {@code m} bits (3 ≤ m ≤ 23): the layout of FLOAT_REDUCED tensors. */
    public static FloatBinarization reduced(int m) {
        if (m < TOP_BITS || m > 23) throw new NnzipException("reduced float mantissa of " + m + " bits is out of range [" + TOP_BITS + ", 23]");
        return REDUCED[m];
    }

    private static final int SIGN = 0, ZERO = 3, EXP = 4;
    private final int expBits, mantBits, rawBits, expCount, mant, nctx;

    private FloatBinarization(int expBits, int mantBits) {
        this.expBits = expBits;
        this.mantBits = mantBits;
        this.rawBits = mantBits - TOP_BITS;
        this.expCount = 1 << expBits;
        this.mant = EXP + 4 * expCount;
        this.nctx = mant + expCount * (1 << TOP_BITS);
    }

    public int[] contexts() { return ContextModel.create(nctx); }

    /** Raw mantissa bits per value (what the separate bit stream holds per nonzero value). */
    public int rawBits() { return rawBits; }

    /** The median exponent of {@code bits}, the reference for exponent context classes (sent in the stream). */
    public int medianExponent(int[] bits, int n) {
        int[] hist = new int[expCount];
        for (int i = 0; i < n; i++) hist[(bits[i] >>> mantBits) & (expCount - 1)]++;
        int acc = 0;
        for (int e = 0; e < expCount; e++) if ((acc += hist[e]) * 2 >= n) return e;
        return 0;
    }

    private static int expClass(int prevE, int median) {
        int d = prevE - median;
        return d <= -3 ? 0 : d < 0 ? 1 : d == 0 ? 2 : 3;
    }

    /** Codes the low 1 + E + M bits of each {@code bits[i]} (the value's bit pattern). */
    public void encode(int[] bits, int n, int median, BinEncoder enc, int[] ctx, BitWriter raw) {
        int signShift = expBits + mantBits, mantMask = (1 << mantBits) - 1;
        int prevSign = 0, prevE = median;
        for (int i = 0; i < n; i++) {
            int v = bits[i];
            int s = (v >>> signShift) & 1, e = (v >>> mantBits) & (expCount - 1), m = v & mantMask;
            enc.bit(ctx, SIGN + prevSign, s);
            int base = EXP + expCount * expClass(prevE, median);
            int node = 1;
            for (int k = expBits - 1; k >= 0; k--) {
                int b = (e >>> k) & 1;
                enc.bit(ctx, base + node, b);
                node = (node << 1) | b;
            }
            if (e == 0) {
                enc.bit(ctx, ZERO, m == 0 ? 1 : 0);
                if (m == 0) {
                    prevSign = 1 + s;
                    prevE = e;
                    continue;
                }
            }
            int mb = mant + e * (1 << TOP_BITS);
            node = 1;
            for (int k = mantBits - 1; k >= rawBits; k--) {
                int b = (m >>> k) & 1;
                enc.bit(ctx, mb + node, b);
                node = (node << 1) | b;
            }
            raw.write(m & ((1 << rawBits) - 1), rawBits);
            prevSign = 1 + s;
            prevE = e;
        }
    }

    public void decode(int[] bits, int n, int median, BinDecoder dec, int[] ctx, BitReader raw) {
        if (median < 0 || median >= expCount) throw new NnzipException("median exponent out of range");
        int signShift = expBits + mantBits;
        int prevSign = 0, prevE = median;
        for (int i = 0; i < n; i++) {
            int s = dec.bit(ctx, SIGN + prevSign);
            int base = EXP + expCount * expClass(prevE, median);
            int node = 1;
            for (int k = 0; k < expBits; k++) node = (node << 1) | dec.bit(ctx, base + node);
            int e = node & (expCount - 1);
            int m;
            if (e == 0 && dec.bit(ctx, ZERO) != 0) m = 0;
            else {
                int mb = mant + e * (1 << TOP_BITS);
                node = 1;
                for (int k = 0; k < TOP_BITS; k++) node = (node << 1) | dec.bit(ctx, mb + node);
                m = ((node & ((1 << TOP_BITS) - 1)) << rawBits) | raw.read(rawBits);
            }
            bits[i] = s << signShift | e << mantBits | m;
            prevSign = 1 + s;
            prevE = e;
        }
    }
}
