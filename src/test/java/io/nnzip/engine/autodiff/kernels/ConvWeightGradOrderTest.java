package io.nnzip.engine.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The weight-gradient kernel (4×4 tiles, their sixteen sums reduced in one tree, plus the edge rows) against a
 * double-precision product, and the same bits on every call while the JIT compiles it.
 */
class ConvWeightGradOrderTest {
    @Test
    void matchesDoublesAndKeepsItsBitsThroughCompilation() {
        int k = 6, rows = 7, ld = 5 * FloatVector.SPECIES_PREFERRED.length();
        Random r = new Random(11);
        float[] a = new float[k * ld], b = new float[rows * ld];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(4)));
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        float[] first = new float[k * rows];
        ConvWeightGrad.accumulate(a, 0, b, 0, first, k, rows, ld);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < rows; j++) {
                double want = 0, mag = 0;
                for (int c = 0; c < ld; c++) {
                    want += (double) a[i * ld + c] * b[j * ld + c];
                    mag += Math.abs((double) a[i * ld + c] * b[j * ld + c]);
                }
                assertEquals(want, first[i * rows + j], 1e-6 * mag, "dw[" + i + "][" + j + "]");
            }
        float[] dw = new float[k * rows];
        for (int it = 0; it < 20_000; it++) {
            java.util.Arrays.fill(dw, 0f);
            ConvWeightGrad.accumulate(a, 0, b, 0, dw, k, rows, ld);
            for (int i = 0; i < dw.length; i++)
                if (Float.floatToRawIntBits(dw[i]) != Float.floatToRawIntBits(first[i])) fail("call " + it + ", dw " + i + ": " + first[i] + " then " + dw[i]);
        }
    }
}
