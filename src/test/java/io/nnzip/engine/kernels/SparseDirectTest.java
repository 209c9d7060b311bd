package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct sparse convolution against a plain-loop convolution written here, on 90 %-zero weights: asymmetric
 * padding, dilation, a non-square kernel, widths that leave a partial vector, odd maps under a 2×2 pool (the dropped
 * last row and column are not computed), a 3×3 stride-2 pool (the general epilogue), and 1–4 images swept together
 * with a batch that leaves a partial group.
 */
class SparseDirectTest {
    @ParameterizedTest
    @CsvSource({"32, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 2, 0", "64, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 2, 0", "64, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 2, 1",
            "64, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, 2, 2", "64, 40, 7, 7, 3, 3, 1, 1, 1, 1, 1, 2, 3", "32, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, 2, 4",
            "16, 40, 9, 11, 3, 2, 0, 2, 1, 0, 2, 0, 0", "8, 70, 5, 33, 5, 5, 2, 2, 2, 2, 1, 0, 0", "8, 70, 5, 33, 5, 5, 2, 2, 2, 2, 1, 0, 3",
            "12, 20, 9, 11, 3, 2, 0, 2, 1, 0, 2, 2, 0", "12, 20, 10, 9, 3, 3, 1, 0, 0, 1, 1, 2, 2", "12, 20, 11, 13, 3, 3, 1, 1, 1, 1, 1, 3, 2",
            "24, 36, 40, 38, 3, 3, 1, 1, 1, 1, 1, 2, 0"})
    void matchesPlainLoops(int c, int k, int h, int w, int r, int s, int pt, int pl, int pb, int pr, int dil, int poolSize, int images) {
        check(c, k, h, w, r, s, pt, pl, pb, pr, dil, poolSize, images, poolSize != 3, true); // ReLU off under the general pool: negative maxima must come out too
    }

    /**
     * Grids of 14 rows of 16 under a 2×2 pool (14×14 pad 1, 15×15 whose last row and column the pool drops, 16×16
     * unpadded): with 16-float vectors (AVX-512) they are pooled in registers, so this compares that path, with and
     * without ReLU (negative maxima), and the memory-pooled path it replaces, with the plain loops. With shorter vectors
     * both runs take the memory path.
     */
    @ParameterizedTest
    @CsvSource({"32, 64, 14, 14, 1, true", "32, 64, 14, 14, 1, false", "7, 19, 15, 15, 1, true", "7, 19, 15, 15, 1, false", "5, 33, 16, 16, 0, false",
            "5, 33, 16, 16, 0, true"})
    void rowsPooledInRegistersMatchPlainLoops(int c, int k, int h, int w, int pad, boolean relu) {
        for (boolean rows : new boolean[] {true, false}) check(c, k, h, w, 3, 3, pad, pad, pad, pad, 1, 2, 0, relu, rows);
    }

    private static void check(int c, int k, int h, int w, int r, int s, int pt, int pl, int pb, int pr, int dil, int poolSize, int images, boolean relu,
            boolean rows) {
        SplittableRandom rnd = new SplittableRandom(c * 17L + k + h);
        int n = 5;
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, 1, r, s, 1, 1, pt, pl, pb, pr, dil, dil);
        assertTrue(SparseDirect.fits(g));
        float[] x = new float[n * c * h * w], wt = new float[k * c * r * s], bias = new float[k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < wt.length; i++) wt[i] = rnd.nextInt(10) == 0 ? (float) rnd.nextGaussian() : 0f;
        for (int i = 0; i < k; i++) bias[i] = (float) rnd.nextGaussian() * 0.1f;
        int p = g.p(), q = g.q();
        boolean pooled = poolSize > 0;
        double[] ref = new double[n * k * p * q];
        for (int img = 0; img < n; img++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < p; i++)
                    for (int j = 0; j < q; j++) {
                        double sum = 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ri = 0; ri < r; ri++)
                                for (int si = 0; si < s; si++) {
                                    int ih = i - pt + ri * dil, iw = j - pl + si * dil;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) sum += (double) wt[((o * c + ci) * r + ri) * s + si] * x[((img * c + ci) * h + ih) * w + iw];
                                }
                        ref[((img * k + o) * p + i) * q + j] = sum;
                    }
        Conv2d.Pool pool = pooled ? new Conv2d.Pool(poolSize, poolSize, 2, 2) : null;
        int pp = pooled ? (p - poolSize) / 2 + 1 : p, qq = pooled ? (q - poolSize) / 2 + 1 : q;
        float[] y = new float[n * k * pp * qq];
        SparseRows sp = SparseRows.of(wt, 0, k, c * r * s);
        int saved = SparseDirect.imagesOverride;
        SparseDirect.imagesOverride = images;
        SparseDirect.rowsInRegisters = rows;
        try (Parallel par = new Parallel(2)) {
            SparseDirect.forward(g, sp, x, bias, y, relu, pool, par);
        } finally {
            SparseDirect.imagesOverride = saved;
            SparseDirect.rowsInRegisters = true;
        }
        int win = pooled ? poolSize : 1, step = pooled ? 2 : 1;
        for (int img = 0; img < n; img++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < pp; i++)
                    for (int j = 0; j < qq; j++) {
                        double want = Double.NEGATIVE_INFINITY;
                        for (int a = 0; a < win; a++)
                            for (int b = 0; b < win; b++) want = Math.max(want, ref[((img * k + o) * p + step * i + a) * q + step * j + b]);
                        want += bias[o];
                        if (relu) want = Math.max(0, want);
                        float got = y[((img * k + o) * pp + i) * qq + j];
                        assertEquals(want, got, 1e-4 * (1 + Math.abs(want)), "output " + img + "," + o + "," + i + "," + j);
                    }
    }
}
