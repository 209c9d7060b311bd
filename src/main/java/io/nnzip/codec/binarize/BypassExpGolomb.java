package io.nnzip.codec.binarize;

import io.nnzip.codec.cabac.BinDecoder;
import io.nnzip.codec.cabac.BinEncoder;
import io.nnzip.ir.NnzipException;

/**
 * The escape both Rice binarizations use past their unary prefix cap: Exp-Golomb order 0 of e ≥ 0, all bypass.
 * Grammar: n ones, a zero, then the n low bits of e + 1 (n ≤ 31).
 */
final class BypassExpGolomb {
    private BypassExpGolomb() {}

    static void encode(BinEncoder enc, long e) {
        long x = e + 1;
        int n = 63 - Long.numberOfLeadingZeros(x);
        for (int i = 0; i < n; i++) enc.bypassBits(1, 1);
        enc.bypassBits(0, 1);
        // bypassBits takes at most 16 bits at a time
        if (n > 16) {
            enc.bypassBits((int) (x >>> 16) & ((1 << (n - 16)) - 1), n - 16);
            enc.bypassBits((int) x & 0xFFFF, 16);
        } else enc.bypassBits((int) x & ((1 << n) - 1), n);
    }

    static long decode(BinDecoder dec) {
        int n = 0;
        while (dec.bypassBits(1) != 0)
            if (++n > 31) throw new NnzipException("malformed escape code in weight levels");
        long x = n > 16 ? ((long) dec.bypassBits(n - 16) << 16) | dec.bypassBits(16) : dec.bypassBits(n);
        return ((1L << n) | x) - 1;
    }
}
