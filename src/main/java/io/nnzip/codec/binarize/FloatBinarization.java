package io.nnzip.codec.binarize;

import io.nnzip.codec.bits.BitReader;
import io.nnzip.codec.bits.BitWriter;
import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Lossless float32 binarization. A float splits into sign, 8-bit exponent and 23-bit mantissa:
 * <pre>
 *   sign                  context: sign of the previous value
 *   exponent              8 bins down a binary tree (255 nodes), × 4 classes of the previous exponent
 *                         relative to the tensor's median exponent
 *   mantissa_is_zero      only if exponent = 0 (so ±0 and sparse tensors cost a couple of bins)
 *   mantissa top 3 bits   binary tree × exponent (the density falls across an octave, so these are skewed)
 *   mantissa low 20 bits  raw, into a separate bit stream (they are close to uniform)
 * </pre>
 * Trained weights have exponents concentrated in a few octaves, so the exponent carries ~2–3 bits instead of 8.
 */
public final class FloatBinarization {
    public static final int TOP_BITS = 3;
    public static final int RAW_BITS = 23 - TOP_BITS;
    private static final int SIGN = 0, ZERO = 3, EXP = 4, MANT = EXP + 4 * 256, NCTX = MANT + 256 * (1 << TOP_BITS);

    private FloatBinarization() {}

    public static int[] contexts() { return ContextModel.create(NCTX); }

    /** The median exponent of {@code bits}, the reference for exponent context classes (sent in the stream). */
    public static int medianExponent(int[] bits, int n) {
        int[] hist = new int[256];
        for (int i = 0; i < n; i++) hist[(bits[i] >>> 23) & 0xFF]++;
        int acc = 0;
        for (int e = 0; e < 256; e++) if ((acc += hist[e]) * 2 >= n) return e;
        return 0;
    }

    private static int expClass(int prevE, int median) {
        int d = prevE - median;
        return d <= -3 ? 0 : d < 0 ? 1 : d == 0 ? 2 : 3;
    }

    public static void encode(int[] bits, int n, int median, BinEncoder enc, int[] ctx, BitWriter raw) {
        int prevSign = 0, prevE = median;
        for (int i = 0; i < n; i++) {
            int v = bits[i];
            int s = v >>> 31, e = (v >>> 23) & 0xFF, m = v & 0x7FFFFF;
            enc.bit(ctx, SIGN + prevSign, s);
            int base = EXP + 256 * expClass(prevE, median);
            int node = 1;
            for (int k = 7; k >= 0; k--) {
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
            int mb = MANT + e * (1 << TOP_BITS);
            node = 1;
            for (int k = 22; k >= RAW_BITS; k--) {
                int b = (m >>> k) & 1;
                enc.bit(ctx, mb + node, b);
                node = (node << 1) | b;
            }
            raw.write(m, RAW_BITS);
            prevSign = 1 + s;
            prevE = e;
        }
    }

    public static void decode(int[] bits, int n, int median, BinDecoder dec, int[] ctx, BitReader raw) {
        if (median < 0 || median > 255) throw new NnzipException("median exponent out of range");
        int prevSign = 0, prevE = median;
        for (int i = 0; i < n; i++) {
            int s = dec.bit(ctx, SIGN + prevSign);
            int base = EXP + 256 * expClass(prevE, median);
            int node = 1;
            for (int k = 0; k < 8; k++) node = (node << 1) | dec.bit(ctx, base + node);
            int e = node & 0xFF;
            int m;
            if (e == 0 && dec.bit(ctx, ZERO) != 0) m = 0;
            else {
                int mb = MANT + e * (1 << TOP_BITS);
                node = 1;
                for (int k = 0; k < TOP_BITS; k++) node = (node << 1) | dec.bit(ctx, mb + node);
                m = ((node & ((1 << TOP_BITS) - 1)) << RAW_BITS) | raw.read(RAW_BITS);
            }
            bits[i] = s << 31 | e << 23 | m;
            prevSign = 1 + s;
            prevE = e;
        }
    }
}
