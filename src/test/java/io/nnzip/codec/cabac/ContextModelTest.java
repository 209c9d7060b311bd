package io.nnzip.codec.cabac;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ContextModelTest {
    @Test
    void probabilityStaysWithinItsBoundsUnderAnyBinSequence() {
        Random r = new Random(1);
        int[] c = ContextModel.create(1);
        int min = Integer.MAX_VALUE, max = 0;
        for (int run = 0; run < 200; run++) {
            int bit = r.nextInt(2), len = r.nextInt(5000);
            for (int i = 0; i < len; i++) {
                c[0] = ContextModel.update(c[0], bit);
                int p = ContextModel.p1(c[0]);
                min = Math.min(min, p);
                max = Math.max(max, p);
            }
        }
        assertTrue(min >= ContextModel.P_MIN && max <= ContextModel.ONE - ContextModel.P_MIN, min + ".." + max);
        // The minimum cost per bin backs the decoder's element-count check.
        double minCost = -Math.log(1 - ContextModel.P_MIN / (double) ContextModel.ONE) / Math.log(2);
        assertTrue(8 / minCost <= ContextModel.MAX_BINS_PER_BYTE);
    }
}
