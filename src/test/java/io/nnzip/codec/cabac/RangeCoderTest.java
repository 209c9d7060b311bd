package io.nnzip.codec.cabac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.NnzipException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RangeCoderTest {
    @Test
    void mixedContextAndBypassBinsRoundTrip() {
        Random r = new Random(11);
        int n = 200_000;
        int[] bits = new int[n], ctxIdx = new int[n], kind = new int[n];
        double[] pOne = {0.001, 0.02, 0.3, 0.5, 0.8, 0.999};
        for (int i = 0; i < n; i++) {
            kind[i] = r.nextInt(10) == 0 ? 1 : 0;
            ctxIdx[i] = r.nextInt(pOne.length);
            bits[i] = kind[i] == 1 ? r.nextInt(1 << 7) : r.nextDouble() < pOne[ctxIdx[i]] ? 1 : 0;
        }
        RangeEncoder enc = new RangeEncoder(16);
        int[] ctx = ContextModel.create(pOne.length);
        for (int i = 0; i < n; i++) if (kind[i] == 1) enc.bypass(bits[i], 7); else enc.bit(ctx, ctxIdx[i], bits[i]);
        byte[] coded = enc.finish();
        RangeDecoder dec = new RangeDecoder(coded, "t");
        int[] dctx = ContextModel.create(pOne.length);
        int[] got = new int[n];
        for (int i = 0; i < n; i++) got[i] = kind[i] == 1 ? dec.bypass(7) : dec.bit(dctx, ctxIdx[i]);
        assertArrayEquals(bits, got);
    }

    @Test
    void estimatorMatchesRealCoderAndSkewedSourceNearsEntropy() {
        Random r = new Random(5);
        int n = 500_000;
        double p = 0.05;
        RangeEncoder enc = new RangeEncoder(16);
        BitCostEstimator est = new BitCostEstimator();
        int[] c1 = ContextModel.create(1), c2 = ContextModel.create(1);
        int ones = 0;
        for (int i = 0; i < n; i++) {
            int b = r.nextDouble() < p ? 1 : 0;
            ones += b;
            enc.bit(c1, 0, b);
            est.bit(c2, 0, b);
        }
        double actual = enc.finish().length * 8.0;
        assertEquals(actual, est.bits(), actual * 0.002 + 64, "estimator vs coder");
        double q = (double) ones / n;
        double h = -n * (q * Math.log(q) + (1 - q) * Math.log(1 - q)) / Math.log(2);
        assertTrue(actual < h * 1.02, "adaptive coder " + actual + " bits vs entropy " + h);
    }

    @Test
    void emptyAndOneBinStreams() {
        RangeEncoder e = new RangeEncoder(1);
        byte[] empty = e.finish();
        assertTrue(empty.length <= 5);
        RangeEncoder e1 = new RangeEncoder(1);
        e1.bit(ContextModel.create(1), 0, 1);
        RangeDecoder d = new RangeDecoder(e1.finish(), "t");
        assertEquals(1, d.bit(ContextModel.create(1), 0));
    }

    @Test
    void readingFarPastTheEndIsAnError() {
        RangeDecoder d = new RangeDecoder(new byte[2], "short");
        assertThrows(NnzipException.class, () -> { for (int i = 0; i < 100_000; i++) d.bypass(16); });
    }

    /** The range decoder's state machine with bypass bins taken one bit at a time (restoring division), as reference. */
    private static final class BitwiseReference {
        final byte[] buf;
        int pos;
        long range = 0xFFFFFFFFL, code;

        BitwiseReference(byte[] buf) {
            this.buf = buf;
            for (int i = 0; i < 4; i++) code = (code << 8) | next();
        }

        int next() { return pos < buf.length ? buf[pos++] & 0xFF : 0 * pos++; }

        void renorm() {
            while (range < (1L << 24)) {
                range <<= 8;
                code = ((code << 8) | next()) & 0xFFFFFFFFL;
            }
        }

        int bit(int[] ctx, int i) {
            long bound = (range >>> 15) * ContextModel.p1(ctx[i]);
            int bit = code < bound ? 1 : 0;
            if (bit == 1) range = bound;
            else {
                code -= bound;
                range -= bound;
            }
            ctx[i] = ContextModel.update(ctx[i], bit);
            renorm();
            return bit;
        }

        int bypassBits(int n) {
            if (n > 16) return bypassBits(n - 16) << 16 | bypassBits(16);
            range >>>= n;
            int v = 0;
            for (int j = n - 1; j >= 0; j--) {
                if (code >= range << j) {
                    code -= range << j;
                    v |= 1 << j;
                }
            }
            renorm();
            return v;
        }
    }

    @Test
    void bypassBinsOfEveryWidthDecodeAsBitByBitDivisionDoesOnAnyData() {
        Random r = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            // Half the streams are real codings of random bypass and context bins, half are random bytes (corrupt data).
            int n = 3000;
            int[] widths = new int[n], vals = new int[n];
            for (int i = 0; i < n; i++) {
                widths[i] = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(24);
                vals[i] = widths[i] == 0 ? r.nextInt(2) : r.nextInt() & (int) ((1L << widths[i]) - 1);
            }
            byte[] data;
            if (trial % 2 == 0) {
                RangeEncoder enc = new RangeEncoder(16);
                int[] ctx = ContextModel.create(1);
                for (int i = 0; i < n; i++) if (widths[i] == 0) enc.bit(ctx, 0, vals[i]); else enc.bypassBits(vals[i], widths[i]);
                data = enc.finish();
            } else {
                data = new byte[6000];
                r.nextBytes(data);
            }
            RangeDecoder dec = new RangeDecoder(data, "t");
            BitwiseReference ref = new BitwiseReference(data);
            int[] c1 = ContextModel.create(1), c2 = ContextModel.create(1);
            for (int i = 0; i < n; i++) {
                int want = widths[i] == 0 ? ref.bit(c2, 0) : ref.bypassBits(widths[i]);
                int got = widths[i] == 0 ? dec.bit(c1, 0) : dec.bypassBits(widths[i]);
                assertEquals(want, got, "trial " + trial + " bin " + i + " width " + widths[i]);
                if (trial % 2 == 0) assertEquals(vals[i], got, "trial " + trial + " bin " + i);
            }
        }
    }
}
