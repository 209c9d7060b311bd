package io.nnzip.codec.binarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.codec.rd.BinarizationChooser;
import io.nnzip.ir.NnzipException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZigzagRiceBinarizationTest {
    private static byte[] code(int[] q, int k) {
        RangeEncoder e = new RangeEncoder(16);
        ZigzagRiceBinarization.encode(q, 0, q.length, k, e, ZigzagRiceBinarization.contexts());
        return e.finish();
    }

    private static int[] decode(byte[] c, int n, int k) {
        int[] q = new int[n];
        ZigzagRiceBinarization.decode(q, 0, n, k, new RangeDecoder(c, "t"), ZigzagRiceBinarization.contexts());
        return q;
    }

    @Test
    void roundTripsAcrossRiceParametersEscapesAndTheQuantizersExtremes() {
        Random r = new Random(4);
        int[] q = LevelBinarizationTest.laplaceLevels(r, 20_000, 6);
        for (int i = 100; i < 200; i++) q[i] = (r.nextBoolean() ? 1 : -1) * r.nextInt(5000);
        q[5] = 1 << 30;
        q[6] = -(1 << 30);
        for (int k : new int[] {0, 1, 2, 3, 5, 15, 16, 23, RiceLevelBinarization.MAX_K})
            assertArrayEquals(q, decode(code(q, k), q.length, k), "k=" + k);
    }

    @Test
    void aLevelBeyondTheQuantizersRangeIsRefusedNotWrapped() {
        // An escape of 2^31 ones-worth at k = 0 decodes to a level no encoder writes: an error, not a wrapped int.
        RangeEncoder e = new RangeEncoder(16);
        int[] ctx = ZigzagRiceBinarization.contexts();
        for (int j = 0; j < 16; j++) e.bit(ctx, j, 1);
        for (int i = 0; i < 31; i++) e.bypassBits(1, 1);
        e.bypassBits(0, 1);
        e.bypassBits(0x7FFF, 15);
        e.bypassBits(0xFFFF, 16);
        byte[] c = e.finish();
        assertThrows(NnzipException.class, () -> decode(c, 1, 0));
    }

    @Test
    void estimatorMatchesTheCoderAndTheChosenCodingIsWithinOnePercentOfOrderZero() {
        Random r = new Random(5);
        for (double scale : new double[] {0.3, 1, 4, 8, 40, 400}) {
            int[] q = LevelBinarizationTest.laplaceLevels(r, 1 << 20, scale);
            BinarizationChooser.Choice c = BinarizationChooser.chooseLevelCoding(q, null);
            BitCostEstimator est = new BitCostEstimator();
            double coded;
            if (c.scheme() == TensorUnit.SCHEME_ZIGZAG) {
                ZigzagRiceBinarization.encode(q, 0, q.length, c.k(), est, ZigzagRiceBinarization.contexts());
                coded = code(q, c.k()).length * 8.0;
            } else {
                RiceLevelBinarization.encode(q, 0, q.length, null, c.k(), est, RiceLevelBinarization.contexts());
                RangeEncoder e = new RangeEncoder(16);
                RiceLevelBinarization.encode(q, 0, q.length, null, c.k(), e, RiceLevelBinarization.contexts());
                coded = e.finish().length * 8.0;
            }
            assertTrue(Math.abs(coded - est.bits()) < 40 + 0.002 * coded, "scale " + scale + ": coded " + coded + " vs estimated " + est.bits());
            double h0 = LevelBinarizationTest.entropyBits(q);
            assertTrue(coded <= 1.01 * h0, "scale " + scale + ", " + c + ": " + coded + " bits vs order-0 entropy " + h0);
            // Fine steps (levels spread over tens of values) take the fast scheme: fewer operations per weight.
            if (scale >= 8) assertEquals(TensorUnit.SCHEME_ZIGZAG, c.scheme(), "scale " + scale);
        }
    }
}
