package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.ops.support.Special;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * LinearRows against a double-precision loop (x·w + bias, exact erf GELU, + residual) over shapes off its blocks:
 * rows not a multiple of 6, N not a multiple of 64 or 16, K = 1, on one thread and on two.
 */
class LinearRowsTest {
    static final Parallel ONE = new Parallel(1), TWO = new Parallel(2);

    @Test
    void oddShapesEveryEpilogue() {
        SplittableRandom r = new SplittableRandom(7);
        int[] rowsList = {1, 5, 6, 7, 13, 49}, ks = {1, 2, 17, 64, 65}, ns = {1, 10, 16, 48, 63, 64, 65, 130};
        for (int rows : rowsList)
            for (int k : ks)
                for (int n : ns)
                    for (int e = 0; e < 8; e++) check(r, rows, k, n, (e & 1) != 0, (e & 2) != 0, (e & 4) != 0, ONE);
    }

    @Test
    void transformerShapesOnTwoThreads() {
        SplittableRandom r = new SplittableRandom(8);
        int[][] shapes = {{4352, 64, 192}, {4352, 128, 64}, {1003, 64, 128}, {517, 129, 100}, {12800, 64, 64}, {301, 512, 192}};
        for (int[] s : shapes)
            for (int e = 0; e < 8; e += 3) check(r, s[0], s[1], s[2], (e & 1) != 0, (e & 2) != 0, (e & 4) != 0, TWO);
        check(r, 4355, 64, 130, true, true, true, TWO);
    }

    @Test
    void fitsTransformerProjectionsNotNarrowHeads() {
        assertTrue(LinearRows.fits(4352, 64, 192));
        assertTrue(LinearRows.fits(12800, 128, 64));
        assertTrue(LinearRows.fits(100, 64, 48));
        assertFalse(LinearRows.fits(256, 64, 10), "a 10-class head would pad to 64 columns");
        assertFalse(LinearRows.fits(4352, 768, 3072), "deep, wide layers stay on the blocked GEMM");
    }

    static void check(SplittableRandom r, int rows, int k, int n, boolean hasBias, boolean gelu, boolean hasResidual, Parallel par) {
        float[] x = OpCheck.random(r, rows * k), w = OpCheck.random(r, k * n);
        float[] bias = hasBias ? OpCheck.random(r, n) : null, residual = hasResidual ? OpCheck.random(r, rows * n) : null;
        float[] y = new float[rows * n];
        Arrays.fill(y, Float.NaN); // every element must be written
        LinearRows.run(rows, k, n, x, w, bias, gelu, residual, y, par);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < n; j++) {
                double s = hasBias ? bias[j] : 0, mag = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    s += (double) x[i * k + p] * w[p * n + j];
                    mag += Math.abs((double) x[i * k + p] * w[p * n + j]);
                }
                if (gelu) s = 0.5 * s * (1 + Special.erf(s / Math.sqrt(2)));
                if (hasResidual) {
                    s += residual[i * n + j];
                    mag += Math.abs(residual[i * n + j]);
                }
                double got = y[i * n + j], tol = 1e-5 * mag + 1e-6;
                if (!(Math.abs(got - s) <= tol))
                    throw new AssertionError(String.format("rows=%d k=%d n=%d bias=%b gelu=%b residual=%b threads=%d: y[%d,%d]=%g, expected %g",
                            rows, k, n, hasBias, gelu, hasResidual, par.threads(), i, j, got, s));
            }
    }
}
