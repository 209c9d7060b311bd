package io.nnzip.codec.binarize;

import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.ir.NnzipException;

/**
 * Binarization of quantized levels for fine steps (format version 3, scheme 1), built for the fewest coding
 * operations per weight. The signed level is folded into z = zigzag(q) (0, −1, 1, −2, 2, … → 0, 1, 2, 3, 4, …) and
 * Rice-coded:
 * <pre>
 *   u = z &gt;&gt; k   in unary (u ones, then a zero), bin j context-coded in context 16 · cls + min(j, 15);
 *                after 16 ones no zero follows and u − 16 is a bypass Exp-Golomb-0 code
 *   z &amp; (2^k − 1)   k bits in one bypass operation
 * </pre>
 * {@code cls} is the previous level's prefix class: 0 if its u was 0, 1 if 1, 2 otherwise. At fine steps the levels of
 * a trained weight tensor are spread over tens of values and nearly independent; a bucket of 2^k zigzag values
 * (2^(k−1) magnitudes, both signs) is then close to uniform, so its low bits cost one bypass operation for k bits and
 * lose well under 1 % to the entropy, while the scheme-0 binarization ({@link RiceLevelBinarization}) spends
 * separate context-coded bins on zero, on one and on the sign's bucket. A typical weight costs two or three
 * operations here against four or five there. Coarse steps (mostly zeros) keep scheme 0, whose zero flag adapts to
 * neighbourhoods; the encoder picks per tensor. Not used for differences of models.
 */
public final class ZigzagRiceBinarization {
    static final int PREFIX_CAP = 16;
    private static final int NCTX = 3 * PREFIX_CAP;

    private ZigzagRiceBinarization() {}

    public static int[] contexts() { return ContextModel.create(NCTX); }

    private static int cls(long u) { return u == 0 ? 0 : u == 1 ? PREFIX_CAP : 2 * PREFIX_CAP; }

    public static void encode(int[] q, int from, int to, int k, BinEncoder enc, int[] ctx) {
        RiceLevelBinarization.checkK(k);
        int c = 0;
        for (int i = from; i < to; i++) c = level(enc, ctx, q[i], c, k);
    }

    /**
     * Codes one level {@code v} in context class {@code c} (0 before the first level); returns the next level's class.
     * The encoder and per-level cost accounting (the rate penalty's fit) both run this.
     */
    public static int level(BinEncoder enc, int[] ctx, int v, int c, int k) {
        long z = ((long) v << 1) ^ (v >> 31);
        long u = z >>> k;
        if (u < PREFIX_CAP) {
            int j = 0;
            for (; j < u; j++) enc.bit(ctx, c + j, 1);
            enc.bit(ctx, c + j, 0);
        } else {
            for (int j = 0; j < PREFIX_CAP; j++) enc.bit(ctx, c + j, 1);
            BypassExpGolomb.encode(enc, u - PREFIX_CAP);
        }
        if (k > 0) enc.bypassBits((int) z & ((1 << k) - 1), k);
        return cls(u);
    }

    public static void decode(int[] q, int from, int to, int k, BinDecoder dec, int[] ctx) {
        RiceLevelBinarization.checkK(k);
        int c = 0;
        for (int i = from; i < to; i++) {
            long u = 0;
            while (u < PREFIX_CAP && dec.bit(ctx, c + (int) u) != 0) u++;
            if (u == PREFIX_CAP) u += BypassExpGolomb.decode(dec);
            long z = (u << k) | dec.bypassBits(k);
            // |q| <= 2^30, as the quantizer guarantees; anything larger is not a stream this coder wrote.
            if (z > (1L << 31)) throw new NnzipException("weight level out of range");
            q[i] = (int) (z >>> 1) ^ -(int) (z & 1);
            c = cls(u);
        }
    }
}
