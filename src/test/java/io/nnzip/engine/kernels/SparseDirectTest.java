package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct sparse convolution against a plain-loop convolution written here, on 90 %-zero weights: asymmetric
 * padding, dilation, a non-square kernel, widths that leave a partial vector, with and without ReLU + 2×2 max-pool.
 */
class SparseDirectTest {
    @ParameterizedTest
    @CsvSource({"32, 64, 14, 14, 3, 3, 1, 1, 1, 1, 1, true", "64, 128, 7, 7, 3, 3, 1, 1, 1, 1, 1, true", "16, 40, 9, 11, 3, 2, 0, 2, 1, 0, 2, false",
            "8, 70, 5, 33, 5, 5, 2, 2, 2, 2, 1, false"})
    void matchesPlainLoops(int c, int k, int h, int w, int r, int s, int pt, int pl, int pb, int pr, int dil, boolean pooled) {
        SplittableRandom rnd = new SplittableRandom(c * 17L + k);
        int n = 3;
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, 1, r, s, 1, 1, pt, pl, pb, pr, dil, dil);
        assertTrue(SparseDirect.fits(g));
        float[] x = new float[n * c * h * w], wt = new float[k * c * r * s], bias = new float[k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < wt.length; i++) wt[i] = rnd.nextInt(10) == 0 ? (float) rnd.nextGaussian() : 0f;
        for (int i = 0; i < k; i++) bias[i] = (float) rnd.nextGaussian() * 0.1f;
        int p = g.p(), q = g.q();
        double[] ref = new double[n * k * p * q];
        for (int img = 0; img < n; img++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < p; i++)
                    for (int j = 0; j < q; j++) {
                        double sum = bias[o];
                        for (int ci = 0; ci < c; ci++)
                            for (int ri = 0; ri < r; ri++)
                                for (int si = 0; si < s; si++) {
                                    int ih = i - pt + ri * dil, iw = j - pl + si * dil;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) sum += (double) wt[((o * c + ci) * r + ri) * s + si] * x[((img * c + ci) * h + ih) * w + iw];
                                }
                        ref[((img * k + o) * p + i) * q + j] = pooled ? Math.max(0, sum) : sum;
                    }
        Conv2d.Pool pool = pooled ? new Conv2d.Pool(2, 2, 2, 2) : null;
        int pp = pooled ? pool.out(p, true) : p, qq = pooled ? pool.out(q, false) : q;
        float[] y = new float[n * k * pp * qq];
        SparseRows sp = SparseRows.of(wt, 0, k, c * r * s);
        try (Parallel par = new Parallel(2)) {
            SparseDirect.forward(g, sp, x, bias, y, pooled, pool, par);
        }
        for (int img = 0; img < n; img++)
            for (int o = 0; o < k; o++)
                for (int i = 0; i < pp; i++)
                    for (int j = 0; j < qq; j++) {
                        double want = Double.NEGATIVE_INFINITY;
                        for (int a = 0; a < (pooled ? 2 : 1); a++)
                            for (int b = 0; b < (pooled ? 2 : 1); b++) want = Math.max(want, ref[((img * k + o) * p + (pooled ? 2 * i + a : i)) * q + (pooled ? 2 * j + b : j)]);
                        float got = y[((img * k + o) * pp + i) * qq + j];
                        assertEquals(want, got, 1e-4 * (1 + Math.abs(want)), "output " + img + "," + o + "," + i + "," + j);
                    }
    }
}
