package io.nnzip.codec.binarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.codec.rd.BinarizationChooser;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RiceLevelBinarizationTest {
    private static byte[] code(int[] q, byte[] base, int k) {
        RangeEncoder e = new RangeEncoder(16);
        RiceLevelBinarization.encode(q, 0, q.length, base, k, e, RiceLevelBinarization.contexts());
        return e.finish();
    }

    private static int[] decode(byte[] c, int n, byte[] base, int k) {
        int[] q = new int[n];
        RiceLevelBinarization.decode(q, 0, n, base, k, new RangeDecoder(c, "t"), RiceLevelBinarization.contexts());
        return q;
    }

    @Test
    void roundTripsAcrossRiceParametersEscapesAndExtremes() {
        Random r = new Random(2);
        int[] q = LevelBinarizationTest.laplaceLevels(r, 20_000, 6);
        // long unary prefixes (escape code) at small k, and the largest levels the quantizer can produce
        for (int i = 100; i < 200; i++) q[i] = (r.nextBoolean() ? 1 : -1) * (2 + r.nextInt(5000));
        q[5] = 1 << 30;
        q[6] = -(1 << 30);
        q[7] = Integer.MIN_VALUE + 1;
        q[8] = Integer.MAX_VALUE;
        byte[] base = new byte[q.length];
        for (int i = 0; i < base.length; i++) base[i] = (byte) r.nextInt(5);
        for (int k : new int[] {0, 1, 2, 5, 15, 16, 23, RiceLevelBinarization.MAX_K}) {
            assertArrayEquals(q, decode(code(q, null, k), q.length, null, k), "k=" + k);
            assertArrayEquals(q, decode(code(q, base, k), q.length, base, k), "k=" + k + " with base");
        }
    }

    @Test
    void estimatorMatchesTheCoderAndTheChosenKIsWithinOnePercentOfOrderZero() {
        Random r = new Random(3);
        for (double scale : new double[] {0.3, 1, 4, 40, 400}) {
            int[] q = LevelBinarizationTest.laplaceLevels(r, 1 << 20, scale);
            int k = BinarizationChooser.chooseRiceK(q, null);
            BitCostEstimator est = new BitCostEstimator();
            RiceLevelBinarization.encode(q, 0, q.length, null, k, est, RiceLevelBinarization.contexts());
            double coded = code(q, null, k).length * 8.0;
            // the estimator's adaptive cost is what the range coder spends, up to its flush and bypass rounding
            assertTrue(Math.abs(coded - est.bits()) < 40 + 0.002 * coded, "scale " + scale + ": coded " + coded + " vs estimated " + est.bits());
            double h0 = LevelBinarizationTest.entropyBits(q);
            assertTrue(coded <= 1.01 * h0, "scale " + scale + ", k " + k + ": " + coded + " bits vs order-0 entropy " + h0);
        }
    }
}
