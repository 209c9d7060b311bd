package io.nnzip.codec.binarize;

import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Binarization of quantized weight levels in format version 2, built for few coding operations per weight:
 * <pre>
 *   level q  →  sig (q ≠ 0)                                     context-coded
 *               gt1 (|q| &gt; 1)                                  context-coded, if sig
 *               prefix u = (|q| − 2) &gt;&gt; k in unary (u ones, a 0) context-coded, if gt1; after 16 ones the rest
 *                                                            of u follows as a bypass Exp-Golomb-0 code
 *               sign, then the k low bits of |q| − 2            one bypass operation (sign alone if |q| = 1)
 * </pre>
 * The Rice parameter k is per tensor ({@link io.nnzip.codec.rd.BinarizationChooser} picks it). The low bits of a
 * level within a bucket of 2^k are nearly uniform when 2^k is about half the spread of the levels, so sending them
 * in bypass costs little (&lt; 1 %) and saves a context-coded bin per bit; the sign of a weight is a fair coin.
 * For differences of models (a base is given) the sign is context-coded instead, since it correlates with the
 * base level's sign. Context selection uses the previous two levels' magnitudes (a, b) and the base class c:
 * <ul>
 *   <li>sig: 3 classes of c × (a: 0, 1, &gt;1) × (b ≠ 0) — 18 contexts;</li>
 *   <li>sign (with a base only): previous sign × sign of c — 9;</li>
 *   <li>gt1: a = 0, 1, 2, &gt;2 — 4; prefix bin j: min(j, 15) × class of a's own prefix (0, 1, &gt;1) — 48;</li>
 *   <li>dependent quantization (format version 5): in states 2 and 3 (quantizer Q1) sig and gt1 use a second set of
 *       18 + 4 contexts, since there a level of 1 stands for Δ and in Q0 for 2Δ.</li>
 *   <li>level scheme 2 (format version 7, differences of rank ≥ 2 only): sig is further split by the
 *       {@link ColumnActivity} class of the level's column — 18 × 4 contexts per quantizer, in a set of their own;
 *       every other bin as in scheme 0.</li>
 * </ul>
 */
public final class RiceLevelBinarization {
    public static final int MAX_K = 24;
    /** Unary prefix bins before the escape to a bypass code. */
    static final int PREFIX_CAP = 16;
    private static final int SIG = 0, SIGN = 18, GT1 = 27, PFX = 31, SIG_Q1 = PFX + 3 * PREFIX_CAP, GT1_Q1 = SIG_Q1 + 18, NCTX = GT1_Q1 + 4;
    private static final int SIG_COL = NCTX, SIG_COL_SET = 18 * ColumnActivity.CLASSES, NCTX_COL = SIG_COL + 2 * SIG_COL_SET;

    private RiceLevelBinarization() {}

    public static int[] contexts() { return ContextModel.create(NCTX); }

    /** Contexts for level scheme 2 ({@link #encodeColumns}). */
    public static int[] columnContexts() { return ContextModel.create(NCTX_COL); }

    private static int columnSigCtx(int bc, int a, int b, int colClass, int quantizer) {
        return SIG_COL + (((bc + 1) >> 1) * 6 + nbClass(a, b)) * ColumnActivity.CLASSES + colClass + quantizer * SIG_COL_SET;
    }

    public static void checkK(int k) {
        if (k < 0 || k > MAX_K) throw new NnzipException("Rice parameter " + k + " out of range [0, " + MAX_K + "]");
    }

    private static int nbClass(int a, int b) { return (a == 0 ? 0 : a == 1 ? 2 : 4) + (b == 0 ? 0 : 1); }

    private static int gt1Ctx(int a) { return GT1 + (a > 3 ? 3 : a); }

    private static int prefixClass(int a, int k) {
        if (a < 2) return 0;
        int u = (a - 2) >>> k;
        return u == 0 ? PREFIX_CAP : 2 * PREFIX_CAP;
    }

    public static void encode(int[] q, int from, int to, byte[] base, int k, BinEncoder enc, int[] ctx) {
        encode(q, from, to, base, k, false, enc, ctx);
    }

    /**
     * Codes levels {@code [from, to)}; with {@code dependent} they are levels of dependent quantization (format
     * version 5) and the quantizer of the current state selects the sig and gt1 context sets.
     */
    public static void encode(int[] q, int from, int to, byte[] base, int k, boolean dependent, BinEncoder enc, int[] ctx) {
        int a = 0, b = 0, prevSign = 0, s = 0;
        for (int i = from; i < to; i++) {
            int v = q[i];
            prevSign = level(enc, ctx, v, a, b, base == null ? -1 : base[i], prevSign, k, s >> 1);
            if (dependent) s = io.nnzip.codec.DependentQuantizer.next(s, v);
            b = a;
            a = v < 0 ? -v : v;
        }
    }

    /**
     * Level scheme 2 (format version 7): codes the levels {@code [from, to)} of a difference to a base ({@code base}
     * classes required) laid out in rows of {@code rowLen}, with the sig bin's context also split by the
     * {@link ColumnActivity} of the level's column, counted from {@code from} on. Use {@link #columnContexts()}.
     */
    public static void encodeColumns(int[] q, int from, int to, byte[] base, int k, boolean dependent, int rowLen, BinEncoder enc, int[] ctx) {
        ColumnActivity col = new ColumnActivity(rowLen);
        int a = 0, b = 0, prevSign = 0, s = 0;
        for (int i = from; i < to; i++) {
            int v = q[i], c = col.column(i), qz = s >> 1;
            prevSign = level(enc, ctx, v, a, b, base[i], prevSign, k, qz, columnSigCtx(base[i], a, b, col.classOf(c), qz));
            col.update(c, v != 0);
            if (dependent) s = io.nnzip.codec.DependentQuantizer.next(s, v);
            b = a;
            a = v < 0 ? -v : v;
        }
    }

    /**
     * Codes one level {@code v} after levels of magnitudes {@code a} (previous) and {@code b}; {@code bc} is the base
     * class (−1 without a base), {@code quantizer} 1 selects the dependent quantizer Q1's contexts. Returns the new
     * previous sign (only tracked with a base). Encoders and the trellis's cost evaluation both run this.
     */
    public static int level(BinEncoder enc, int[] ctx, int v, int a, int b, int bc, int prevSign, int k, int quantizer) {
        int c = bc >= 0 ? bc : 0;
        return level(enc, ctx, v, a, b, bc, prevSign, k, quantizer, SIG + ((c + 1) >> 1) * 6 + nbClass(a, b) + quantizer * (SIG_Q1 - SIG));
    }

    private static int level(BinEncoder enc, int[] ctx, int v, int a, int b, int bc, int prevSign, int k, int quantizer, int sigCtx) {
        boolean hasBase = bc >= 0;
        int c = hasBase ? bc : 0;
        if (v == 0) {
            enc.bit(ctx, sigCtx, 0);
            return prevSign;
        }
        enc.bit(ctx, sigCtx, 1);
        int neg = v < 0 ? 1 : 0;
        int m = neg != 0 ? -v : v;
        if (hasBase) {
            int bs = c == 0 ? 0 : (c & 1) != 0 ? 1 : 2;
            enc.bit(ctx, SIGN + prevSign + 3 * bs, neg);
            prevSign = neg != 0 ? 2 : 1;
        }
        int g = gt1Ctx(a) + quantizer * (GT1_Q1 - GT1);
        if (m == 1) {
            enc.bit(ctx, g, 0);
            if (!hasBase) enc.bypassBits(neg, 1);
        } else {
            enc.bit(ctx, g, 1);
            int r = m - 2, u = r >>> k, pc = PFX + prefixClass(a, k);
            int j = 0;
            for (; j < u && j < PREFIX_CAP; j++) enc.bit(ctx, pc + j, 1);
            if (j < PREFIX_CAP) enc.bit(ctx, pc + j, 0);
            else BypassExpGolomb.encode(enc, u - PREFIX_CAP);
            int low = r & ((1 << k) - 1);
            if (!hasBase) {
                if (k < 31) enc.bypassBits(neg << k | low, k + 1);
            } else enc.bypassBits(low, k);
        }
        return prevSign;
    }

    public static void decode(int[] q, int from, int to, byte[] base, int k, BinDecoder dec, int[] ctx) {
        decode(q, from, to, base, k, false, dec, ctx);
    }

    /** Decodes levels {@code [from, to)}; {@code dependent} as for {@link #encode(int[], int, int, byte[], int, boolean, BinEncoder, int[])}. */
    public static void decode(int[] q, int from, int to, byte[] base, int k, boolean dependent, BinDecoder dec, int[] ctx) {
        if (base == null) {
            decodePlain(q, from, to, k, dependent, dec, ctx);
            return;
        }
        decodeWithBase(q, from, to, base, k, dependent, 0, dec, ctx);
    }

    /** Decodes levels of scheme 2, as {@link #encodeColumns} coded them (contexts from {@link #columnContexts()}). */
    public static void decodeColumns(int[] q, int from, int to, byte[] base, int k, boolean dependent, int rowLen, BinDecoder dec, int[] ctx) {
        if (base == null || rowLen < 1) throw new NnzipException("level scheme 2 needs a base and rows");
        decodeWithBase(q, from, to, base, k, dependent, rowLen, dec, ctx);
    }

    private static void decodeWithBase(int[] q, int from, int to, byte[] base, int k, boolean dependent, int rowLen, BinDecoder dec, int[] ctx) {
        ColumnActivity col = rowLen > 0 ? new ColumnActivity(rowLen) : null;
        int a = 0, b = 0, prevSign = 0, s = 0;
        for (int i = from; i < to; i++) {
            int bc = base[i], qs = s >> 1, c = 0;
            int sigCtx;
            if (col == null) sigCtx = SIG + ((bc + 1) >> 1) * 6 + nbClass(a, b) + qs * (SIG_Q1 - SIG);
            else {
                c = col.column(i);
                sigCtx = columnSigCtx(bc, a, b, col.classOf(c), qs);
            }
            if (dec.bit(ctx, sigCtx) == 0) {
                if (col != null) col.update(c, false);
                q[i] = 0;
                if (dependent) s = io.nnzip.codec.DependentQuantizer.next(s, 0);
                b = a;
                a = 0;
                continue;
            }
            int bs = bc == 0 ? 0 : (bc & 1) != 0 ? 1 : 2;
            int neg = dec.bit(ctx, SIGN + prevSign + 3 * bs);
            prevSign = neg != 0 ? 2 : 1;
            int m;
            if (dec.bit(ctx, gt1Ctx(a) + qs * (GT1_Q1 - GT1)) == 0) m = 1;
            else {
                int pc = PFX + prefixClass(a, k);
                long u = 0;
                while (u < PREFIX_CAP && dec.bit(ctx, pc + (int) u) != 0) u++;
                if (u == PREFIX_CAP) u += BypassExpGolomb.decode(dec);
                long mm = (u << k) + dec.bypassBits(k) + 2;
                if (mm > Integer.MAX_VALUE) throw new NnzipException("weight level out of range");
                m = (int) mm;
            }
            q[i] = neg != 0 ? -m : m;
            if (col != null) col.update(c, true);
            if (dependent) s = io.nnzip.codec.DependentQuantizer.next(s, m);
            b = a;
            a = m;
        }
    }

    // The common case (no base) without the per-level base lookups: the decoder's hot loop. For scalar levels the
    // state stays 0 (the mask clears it), so one loop serves both.
    private static void decodePlain(int[] q, int from, int to, int k, boolean dependent, BinDecoder dec, int[] ctx) {
        int a = 0, b = 0, lowMask = (1 << k) - 1, s = 0, keep = dependent ? 3 : 0;
        for (int i = from; i < to; i++) {
            int qs = s >> 1;
            if (dec.bit(ctx, SIG + nbClass(a, b) + qs * (SIG_Q1 - SIG)) == 0) {
                q[i] = 0;
                s = io.nnzip.codec.DependentQuantizer.next(s, 0) & keep;
                b = a;
                a = 0;
                continue;
            }
            int m, neg;
            if (dec.bit(ctx, gt1Ctx(a) + qs * (GT1_Q1 - GT1)) == 0) {
                m = 1;
                neg = dec.bypassBits(1);
            } else {
                int pc = PFX + prefixClass(a, k);
                long u = 0;
                while (u < PREFIX_CAP && dec.bit(ctx, pc + (int) u) != 0) u++;
                if (u == PREFIX_CAP) u += BypassExpGolomb.decode(dec);
                int sb = dec.bypassBits(k + 1);
                neg = sb >>> k;
                long mm = (u << k) + (sb & lowMask) + 2;
                if (mm > Integer.MAX_VALUE) throw new NnzipException("weight level out of range");
                m = (int) mm;
            }
            q[i] = neg != 0 ? -m : m;
            s = io.nnzip.codec.DependentQuantizer.next(s, m) & keep;
            b = a;
            a = m;
        }
    }
}
