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
 * <p>Format version 8 codes the exponent relative to the median M instead of down the tree, because the tree's
 * 2^E − 1 nodes each start unlearned: a 64-value bias or LayerNorm scale paid ~8 bits per exponent. From version 8:
 * <pre>
 *   sign                  as above
 *   exponent_is_zero      context: previous exponent zero (zeros and denormals; runs of pruned zeros)
 *   mantissa_is_zero      only if exponent = 0, as above
 *   exponent = M          context: class of the previous exponent (only if M can occur)
 *   exponent &gt; M          context: class of the previous exponent (only if both directions can occur)
 *   |exponent − M| − 1    truncated unary, at most {@value #CAP} bins, a context per direction and bin; past them
 *                         the rest in E bins, a context per bit position (MSB first)
 *   mantissa              as above
 * </pre>
 * Each bin then learns from every value, so a small tensor's exponents cost ~2–3 bits from the start.
 */
public final class FloatBinarization {
    public static final int TOP_BITS = 3;
    /** The float32 layout's raw mantissa bits. */
    public static final int RAW_BITS = 23 - TOP_BITS;
    public static final FloatBinarization FLOAT32 = new FloatBinarization(8, 23);
    public static final FloatBinarization FLOAT16 = new FloatBinarization(5, 10);
    public static final FloatBinarization BFLOAT16 = new FloatBinarization(8, 7);

    private static final FloatBinarization[] REDUCED = new FloatBinarization[24];

    private static final FloatBinarization[] REDUCED_V8 = new FloatBinarization[24];
    private static final FloatBinarization FLOAT32_V8 = new FloatBinarization(8, 23, true);
    private static final FloatBinarization FLOAT16_V8 = new FloatBinarization(5, 10, true);
    private static final FloatBinarization BFLOAT16_V8 = new FloatBinarization(8, 7, true);
    /** First format version whose float exponents are coded relative to the median. */
    public static final int RELATIVE_VERSION = 8;
    /** Unary bins of |exponent − median| − 1 before the fixed-length rest. */
    public static final int CAP = 8;

    static {
        for (int m = TOP_BITS; m <= 23; m++) {
            REDUCED[m] = new FloatBinarization(8, m);
            REDUCED_V8[m] = new FloatBinarization(8, m, true);
        }
    }

    /** This layout as a stream of format version {@code version} codes it. */
    public FloatBinarization forVersion(int version) {
        if (version < RELATIVE_VERSION || relative) return this;
        if (this == FLOAT32) return FLOAT32_V8;
        if (this == FLOAT16) return FLOAT16_V8;
        if (this == BFLOAT16) return BFLOAT16_V8;
        return REDUCED_V8[mantBits];
    }

    /** float32 with its mantissa cut to {@code m} bits (3 ≤ m ≤ 23): the layout of FLOAT_REDUCED tensors. */
    public static FloatBinarization reduced(int m) {
        if (m < TOP_BITS || m > 23) throw new NnzipException("reduced float mantissa of " + m + " bits is out of range [" + TOP_BITS + ", 23]");
        return REDUCED[m];
    }

    private static final int SIGN = 0, ZERO = 3, EXP = 4;
    // version 8 exponent contexts, after ZERO: zero exponent (2), equal (4 classes), up (4 classes), unary (2 × CAP), rest (E)
    private static final int EXP_ZERO = 4, EXP_EQ = 6, EXP_UP = 10, EXP_MAG = 14, EXP_REST = EXP_MAG + 2 * CAP;
    private final int expBits, mantBits, rawBits, expCount, mant, nctx;
    private final boolean relative;

    private FloatBinarization(int expBits, int mantBits) { this(expBits, mantBits, false); }

    private FloatBinarization(int expBits, int mantBits, boolean relative) {
        this.expBits = expBits;
        this.mantBits = mantBits;
        this.rawBits = mantBits - TOP_BITS;
        this.expCount = 1 << expBits;
        this.relative = relative;
        this.mant = relative ? EXP_REST + expBits : EXP + 4 * expCount;
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
            int node;
            if (relative) encodeExponent(e, prevE, median, enc, ctx);
            else {
                int base = EXP + expCount * expClass(prevE, median);
                node = 1;
                for (int k = expBits - 1; k >= 0; k--) {
                    int b = (e >>> k) & 1;
                    enc.bit(ctx, base + node, b);
                    node = (node << 1) | b;
                }
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
            int e, node;
            if (relative) e = decodeExponent(prevE, median, dec, ctx);
            else {
                int base = EXP + expCount * expClass(prevE, median);
                node = 1;
                for (int k = 0; k < expBits; k++) node = (node << 1) | dec.bit(ctx, base + node);
                e = node & (expCount - 1);
            }
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

    // Version 8: exponent e ∈ [0, 2^E) as zero / equal to the median / direction / distance (see the class comment).
    private void encodeExponent(int e, int prevE, int median, BinEncoder enc, int[] ctx) {
        enc.bit(ctx, EXP_ZERO + (prevE == 0 ? 1 : 0), e == 0 ? 1 : 0);
        if (e == 0) return;
        int hi = expCount - 1, cls = expClass(prevE, median);
        if (median >= 1) enc.bit(ctx, EXP_EQ + cls, e == median ? 1 : 0);
        if (e == median) return;
        boolean canUp = median < hi, canDown = median > 1;
        boolean up = e > median;
        if (canUp && canDown) enc.bit(ctx, EXP_UP + cls, up ? 1 : 0);
        int a = up ? e - median : median - e, amax = up ? hi - median : median - 1;
        int dir = up ? CAP : 0;
        for (int j = 1; j < amax && j <= CAP; j++) {
            enc.bit(ctx, EXP_MAG + dir + j - 1, a > j ? 1 : 0);
            if (a <= j) return;
        }
        if (amax <= CAP) return;
        int r = a - CAP - 1;
        for (int k = expBits - 1; k >= 0; k--) enc.bit(ctx, EXP_REST + k, (r >>> k) & 1);
    }

    private int decodeExponent(int prevE, int median, BinDecoder dec, int[] ctx) {
        if (dec.bit(ctx, EXP_ZERO + (prevE == 0 ? 1 : 0)) != 0) return 0;
        int hi = expCount - 1, cls = expClass(prevE, median);
        if (median >= 1 && dec.bit(ctx, EXP_EQ + cls) != 0) return median;
        boolean canUp = median < hi, canDown = median > 1;
        if (!canUp && !canDown) throw new NnzipException("float exponent: no value other than the median " + median + " can occur");
        boolean up = canUp && canDown ? dec.bit(ctx, EXP_UP + cls) != 0 : canUp;
        int amax = up ? hi - median : median - 1, dir = up ? CAP : 0;
        int a = 1;
        while (a < amax && a <= CAP && dec.bit(ctx, EXP_MAG + dir + a - 1) != 0) a++;
        if (a > CAP) {
            int r = 0;
            for (int k = expBits - 1; k >= 0; k--) r = r << 1 | dec.bit(ctx, EXP_REST + k);
            a = CAP + 1 + r;
            if (a > amax) throw new NnzipException("float exponent distance " + a + " out of range (at most " + amax + ")");
        }
        return up ? median + a : median - a;
    }
}
