package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The 32-bit-word bit kernels against a plain integer convolution written here: ±1 weights (α = 1, bias 0) and
 * {0,1} or ±1 activations, so every output is an integer and must match exactly — floats out (with and without
 * ReLU + max-pool), bits out (threshold of the pooled value), and the whole-plane path. Shapes cover channel counts
 * around the 32-bit word (3, 32, 45, 70), output channels around the 64-lane block (5, 64, 80), padding wider than
 * the kernel's reach, stride 2, dilation 2, odd tails of the two-position blocks and pools dropping a last column.
 */
class BitWordsTest {
    /** Σ over the inside taps of a·s, a = b ({0,1}) or 2b − 1 (±1); padded taps contribute nothing. */
    static long[] reference(ConvGeometry g, boolean[] b, boolean[] s, boolean pm1) {
        int p = g.p(), q = g.q();
        long[] y = new long[g.n() * g.k() * p * q];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int i = 0; i < p; i++)
                    for (int j = 0; j < q; j++) {
                        long sum = 0;
                        for (int c = 0; c < g.c(); c++)
                            for (int ri = 0; ri < g.r(); ri++)
                                for (int si = 0; si < g.s(); si++) {
                                    int ih = i * g.strideH() - g.padTop() + ri * g.dilH(), iw = j * g.strideW() - g.padLeft() + si * g.dilW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    boolean bit = b[((n * g.c() + c) * g.h() + ih) * g.w() + iw];
                                    int a = pm1 ? (bit ? 1 : -1) : (bit ? 1 : 0), w = s[((k * g.c() + c) * g.r() + ri) * g.s() + si] ? 1 : -1;
                                    sum += (long) a * w;
                                }
                        y[((n * g.k() + k) * p + i) * q + j] = sum;
                    }
        return y;
    }

    @ParameterizedTest
    @CsvSource({
            // c, k, h, w, r, s, stride, pad, dil, pool
            "32, 64, 14, 14, 3, 3, 1, 1, 1, true", "64, 80, 7, 7, 3, 3, 1, 1, 1, true", "3, 5, 9, 8, 3, 3, 1, 1, 1, false",
            "45, 64, 6, 7, 3, 2, 2, 2, 1, false", "70, 5, 7, 7, 3, 3, 1, 1, 2, false", "32, 80, 5, 5, 5, 5, 1, 0, 1, false",
            "70, 64, 3, 3, 3, 3, 1, 0, 1, false", "33, 5, 8, 9, 1, 1, 1, 0, 1, true", "40, 64, 7, 7, 3, 3, 1, 4, 1, true"})
    void matchesIntegerConvolutionExactly(int c, int k, int h, int w, int r, int s, int stride, int pad, int dil, boolean pooled) {
        for (boolean pm1 : new boolean[] {false, true}) {
            SplittableRandom rnd = new SplittableRandom(c * 131L + k * 7L + h + (pm1 ? 1 : 0));
            int n = 3;
            ConvGeometry g = new ConvGeometry(n, c, h, w, k, 1, r, s, stride, stride, pad, pad, pad, pad, dil, dil);
            boolean[] b = new boolean[n * c * h * w], sign = new boolean[k * c * r * s];
            float[] x = new float[b.length], wt = new float[sign.length];
            for (int i = 0; i < b.length; i++) x[i] = (b[i] = rnd.nextInt(3) == 0) ? 1f : 0f; // sparse ones, as a {0,1} BNN's
            for (int i = 0; i < sign.length; i++) wt[i] = (sign[i] = rnd.nextBoolean()) ? 1f : -1f;
            long[] ref = reference(g, b, sign, pm1);
            BinaryConv.Weights pw = BinaryConv.pack(wt, k, c, r, s, null);
            Conv2d.Pool pool = pooled ? new Conv2d.Pool(2, 2, 2, 2) : null;
            int p = g.p(), q = g.q(), pp = pool == null ? p : pool.out(p, true), qq = pool == null ? q : pool.out(q, false);
            // the pooled reference value: max over the window (after ReLU when asked)
            long[] pooledRef = new long[n * k * pp * qq];
            for (int img = 0; img < n; img++)
                for (int o = 0; o < k; o++)
                    for (int i = 0; i < pp; i++)
                        for (int j = 0; j < qq; j++) {
                            long m = Long.MIN_VALUE;
                            for (int a = 0; a < (pool == null ? 1 : 2); a++)
                                for (int bb = 0; bb < (pool == null ? 1 : 2); bb++)
                                    m = Math.max(m, Math.max(0, ref[((img * k + o) * p + (pool == null ? i : 2 * i + a)) * q + (pool == null ? j : 2 * j + bb)]));
                            pooledRef[((img * k + o) * pp + i) * qq + j] = m;
                        }
            try (Parallel par = new Parallel(2)) {
                int[] bits = BinaryConv.packInput(x, 0.5f, n, c, h * w, par);
                float[] y = new float[n * k * p * q];
                BinaryConv.run(g, bits, pm1, pw, BinaryConv.Epilogue.floats(false, null), y, null, par);
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], (long) y[i], "pm1=" + pm1 + " float output " + i);
                float[] yp = new float[n * k * pp * qq];
                BinaryConv.run(g, bits, pm1, pw, BinaryConv.Epilogue.floats(true, pool), yp, null, par);
                for (int i = 0; i < yp.length; i++) assertEquals(pooledRef[i], (long) yp[i], "pm1=" + pm1 + " ReLU/pooled output " + i);
                for (float t : new float[] {-0.5f, 0.5f, 2.5f}) {
                    int kw = BinaryConv.words(k);
                    int[] yb = new int[n * pp * qq * kw];
                    BinaryConv.run(g, bits, pm1, pw, new BinaryConv.Epilogue(true, pool, true, t), null, yb, par);
                    for (int img = 0; img < n; img++)
                        for (int o = 0; o < kw * 32; o++)
                            for (int i = 0; i < pp; i++)
                                for (int j = 0; j < qq; j++) {
                                    boolean got = (yb[((img * pp + i) * qq + j) * kw + (o >>> 5)] >>> (o & 31) & 1) != 0;
                                    boolean want = o < k && pooledRef[((img * k + o) * pp + i) * qq + j] > t;
                                    assertEquals(want, got, "pm1=" + pm1 + " t=" + t + " bit of channel " + o + " at " + img + "," + i + "," + j);
                                }
                }
            }
        }
    }
}
