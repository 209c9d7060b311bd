package io.nnzip.codec.binarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.codec.rd.BinarizationChooser;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LevelBinarizationTest {
    static int[] laplaceLevels(Random r, int n, double scale) {
        int[] q = new int[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            q[i] = (int) Math.round(-scale * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return q;
    }

    static double entropyBits(int[] q) {
        Map<Integer, Integer> h = new HashMap<>();
        for (int v : q) h.merge(v, 1, Integer::sum);
        double bits = 0;
        for (int c : h.values()) bits -= c * Math.log((double) c / q.length) / Math.log(2);
        return bits;
    }

    private static byte[] code(int[] q, byte[] base, LevelBinarization.Params p) {
        RangeEncoder e = new RangeEncoder(16);
        LevelBinarization.encode(q, 0, q.length, base, p, e, LevelBinarization.contexts());
        return e.finish();
    }

    private static int[] decode(byte[] c, int n, byte[] base, LevelBinarization.Params p) {
        int[] q = new int[n];
        LevelBinarization.decode(q, 0, n, base, p, new RangeDecoder(c, "t"), LevelBinarization.contexts());
        return q;
    }

    @Test
    void roundTripsAcrossParametersAndExtremes() {
        Random r = new Random(1);
        int[] q = laplaceLevels(r, 20_000, 6);
        q[5] = (1 << 30);
        q[6] = -(1 << 30);
        q[7] = Integer.MIN_VALUE + 1;
        q[8] = Integer.MAX_VALUE;
        byte[] base = new byte[q.length];
        for (int i = 0; i < base.length; i++) base[i] = (byte) r.nextInt(5);
        for (int gt : new int[] {1, 2, 7, 15})
            for (int k : new int[] {0, 3, 24}) {
                LevelBinarization.Params p = new LevelBinarization.Params(gt, k);
                assertArrayEquals(q, decode(code(q, null, p), q.length, null, p));
                assertArrayEquals(q, decode(code(q, base, p), q.length, base, p));
            }
    }

    @Test
    void costIsWithinOnePercentOfOrderZeroEntropy() {
        Random r = new Random(2);
        for (double scale : new double[] {0.3, 1, 4, 40}) {
            int[] q = laplaceLevels(r, 1 << 20, scale);
            LevelBinarization.Params p = BinarizationChooser.choose(q, null);
            double actual = code(q, null, p).length * 8.0;
            double h0 = entropyBits(q);
            assertTrue(actual <= 1.01 * h0, "scale " + scale + ": " + actual / q.length + " bits/level vs H0 " + h0 / q.length);
        }
    }

    @Test
    void estimatorAgreesWithCoder() {
        int[] q = laplaceLevels(new Random(3), 100_000, 2);
        LevelBinarization.Params p = new LevelBinarization.Params(4, 1);
        BitCostEstimator est = new BitCostEstimator();
        LevelBinarization.encode(q, 0, q.length, null, p, est, LevelBinarization.contexts());
        double actual = code(q, null, p).length * 8.0;
        assertEquals(actual, est.bits(), actual * 0.002 + 64);
    }
}
