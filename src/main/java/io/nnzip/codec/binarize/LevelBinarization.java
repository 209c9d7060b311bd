package io.nnzip.codec.binarize;

import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Binarization of quantized weight levels (integers), in scan order:
 * <pre>
 *   level q  →  sig (q ≠ 0)
 *               sign (q &lt; 0)                      if sig
 *               gt_k (|q| &gt; k), k = 1..maxGt      while the previous gt flag was 1
 *               EGk(|q| − maxGt − 1)               if every gt flag was 1
 * </pre>
 * The Exp-Golomb remainder's unary prefix and the top two bits of its suffix are context coded, the rest bypass. Context selection:
 * <ul>
 *   <li>sig: magnitude class of the previous level (0, 1, &gt;1) × whether the one before was zero, × the class of
 *       the co-located base level (for differences of models; 0 when there is no base) — 18 contexts;</li>
 *   <li>sign: sign of the previous level × sign of the base level — 9 contexts;</li>
 *   <li>gt_k: k × whether the previous level exceeded k — 2 × 15 contexts; EG prefix: its position — 32.</li>
 * </ul>
 * The same code runs with an arithmetic coder or a {@link io.nnzip.codec.cabac.BitCostEstimator}.
 */
public final class LevelBinarization {
    public static final int MAX_GT = 15;
    public static final int MAX_EGK = 24;
    private static final int SIG = 0, SIGN = 18, GT = 27, EG = GT + 2 * MAX_GT, EGS = EG + 32, NCTX = EGS + 32 * 4;
    /** Suffix bits of the Exp-Golomb remainder that are context coded (the rest are bypass). */
    private static final int CODED_SUFFIX = 2;

    /** Per-tensor binarization parameters: how many gt flags, and the Exp-Golomb order of the remainder. */
    public record Params(int maxGt, int egk) {
        public Params {
            if (maxGt < 1 || maxGt > MAX_GT || egk < 0 || egk > MAX_EGK)
                throw new NnzipException("binarization parameters out of range: maxGt=" + maxGt + ", egk=" + egk);
        }
    }

    private LevelBinarization() {}

    public static int[] contexts() { return ContextModel.create(NCTX); }

    /** Base-level context byte: 0 zero, 1/2 = ±1, 3/4 = ±big (odd = positive). */
    public static byte baseClass(int qb) {
        return (byte) (qb == 0 ? 0 : qb == 1 ? 1 : qb == -1 ? 2 : qb > 0 ? 3 : 4);
    }

    public static void encode(int[] q, int from, int to, byte[] base, Params p, BinEncoder enc, int[] ctx) {
        int maxGt = p.maxGt(), egk = p.egk();
        int a = 0, b = 0, prevSign = 0;
        for (int i = from; i < to; i++) {
            int v = q[i];
            int bc = base == null ? 0 : base[i];
            int nb = (a == 0 ? 0 : a == 1 ? 2 : 4) + (b == 0 ? 0 : 1);
            int sig = v != 0 ? 1 : 0;
            enc.bit(ctx, SIG + ((bc + 1) >> 1) * 6 + nb, sig);
            int m = 0;
            if (sig != 0) {
                int neg = v < 0 ? 1 : 0;
                int bs = bc == 0 ? 0 : (bc & 1) != 0 ? 1 : 2;
                enc.bit(ctx, SIGN + prevSign + 3 * bs, neg);
                m = neg != 0 ? -v : v;
                int k = 1;
                for (; k <= maxGt; k++) {
                    int gt = m > k ? 1 : 0;
                    enc.bit(ctx, GT + 2 * (k - 1) + (a > k ? 1 : 0), gt);
                    if (gt == 0) break;
                }
                if (k > maxGt) encodeEg(enc, ctx, (m & 0xFFFFFFFFL) - maxGt - 1, egk);
                prevSign = neg != 0 ? 2 : 1;
            }
            b = a;
            a = m;
        }
    }

    private static void encodeEg(BinEncoder enc, int[] ctx, long r, int k) {
        long x = r + (1L << k);
        int nbits = 63 - Long.numberOfLeadingZeros(x);
        for (int u = k; u < nbits; u++) enc.bit(ctx, EG + Math.min(u - k, 31), 1);
        enc.bit(ctx, EG + Math.min(nbits - k, 31), 0);
        long suffix = x - (1L << nbits);
        // The remainder's density falls within an octave, so its top suffix bits are skewed: code them in contexts.
        int top = Math.min(CODED_SUFFIX, nbits), node = 1, base = EGS + 4 * Math.min(nbits - k, 31);
        for (int j = nbits - 1; j >= nbits - top; j--) {
            int b = (int) (suffix >>> j) & 1;
            enc.bit(ctx, base + node, b);
            node = (node << 1) | b;
        }
        int rest = nbits - top;
        long low = suffix & ((1L << rest) - 1);
        if (rest > 16) {
            enc.bypass((int) (low >>> 16), rest - 16);
            enc.bypass((int) (low & 0xFFFF), 16);
        } else enc.bypass((int) low, rest);
    }

    public static void decode(int[] q, int from, int to, byte[] base, Params p, BinDecoder dec, int[] ctx) {
        int maxGt = p.maxGt(), egk = p.egk();
        int a = 0, b = 0, prevSign = 0;
        for (int i = from; i < to; i++) {
            int bc = base == null ? 0 : base[i];
            int nb = (a == 0 ? 0 : a == 1 ? 2 : 4) + (b == 0 ? 0 : 1);
            int m = 0;
            if (dec.bit(ctx, SIG + ((bc + 1) >> 1) * 6 + nb) != 0) {
                int bs = bc == 0 ? 0 : (bc & 1) != 0 ? 1 : 2;
                int neg = dec.bit(ctx, SIGN + prevSign + 3 * bs);
                int k = 1;
                for (; k <= maxGt; k++) if (dec.bit(ctx, GT + 2 * (k - 1) + (a > k ? 1 : 0)) == 0) break;
                if (k > maxGt) {
                    long mm = decodeEg(dec, ctx, egk) + maxGt + 1;
                    if (mm > Integer.MAX_VALUE) throw new NnzipException("weight level out of range");
                    m = (int) mm;
                } else m = k;
                q[i] = neg != 0 ? -m : m;
                prevSign = neg != 0 ? 2 : 1;
            } else q[i] = 0;
            b = a;
            a = m;
        }
    }

    private static long decodeEg(BinDecoder dec, int[] ctx, int k) {
        int nbits = k;
        while (dec.bit(ctx, EG + Math.min(nbits - k, 31)) != 0)
            if (++nbits > 32) throw new NnzipException("malformed Exp-Golomb prefix in weight levels");
        int top = Math.min(CODED_SUFFIX, nbits), node = 1, base = EGS + 4 * Math.min(nbits - k, 31);
        for (int j = 0; j < top; j++) node = (node << 1) | dec.bit(ctx, base + node);
        int rest = nbits - top;
        long low = rest > 16 ? ((long) dec.bypass(rest - 16) << 16) | dec.bypass(16) : dec.bypass(rest);
        long suffix = ((long) (node & ((1 << top) - 1)) << rest) | low;
        return (1L << nbits) + suffix - (1L << k);
    }
}
