package io.nnzip.engine.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvWeightGrad}, {@link ConvInputGrad} and {@link ThinConvForward} against the convolution and its
 * gradients written out as the defining sums in double precision, at layer sizes where blocking, vector tails,
 * tile edges and thread splits all occur.
 */
class ConvTrainingKernelsTest {
    private static final Parallel PAR = new Parallel(2);
    private final Random rnd = new Random(7);

    @AfterAll
    static void close() { PAR.close(); }

    // n, c, h, w, k, r, s, pt, pl, pb, pr, stride
    private static final int[][] CASES = {
            {7, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1},   // the CNN's second layer (several blocks per thread)
            {5, 7, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1},      // K and C·R·S not multiples of 4, P·Q = 49
            {3, 1, 28, 28, 6, 3, 3, 1, 1, 1, 1, 1},     // one input channel: C·R·S = 9
            {4, 5, 9, 6, 3, 3, 2, 0, 1, 2, 0, 1},       // asymmetric pads, non-square window
            {6, 10, 5, 5, 7, 1, 1, 0, 0, 0, 0, 1},      // pointwise
            {2, 3, 32, 32, 5, 1, 1, 0, 0, 0, 0, 1},     // pointwise, one aligned image per block (read in place)
            {3, 3, 10, 9, 6, 3, 3, 0, 0, 0, 0, 1},      // unpadded: P < H
            {3, 4, 9, 9, 5, 3, 3, 1, 1, 1, 1, 2},       // strided: weight gradient only here
    };

    @Test
    void weightGradientMatchesDirectSum() {
        for (int[] cs : CASES) {
            ConvGeometry g = geometry(cs);
            float[] x = random(g.n() * g.c() * g.h() * g.w()), dy = random(g.n() * g.k() * g.p() * g.q());
            float[] dw = random(g.k() * g.colRows()); // stale contents must be overwritten
            ConvWeightGrad.run(g, x, dy, dw, PAR, new ArrayPool());
            double[] ref = new double[dw.length];
            forEachTap(g, (img, kk, cc, ri, si, oh, ow, ih, iw) ->
                    ref[((kk * g.c() + cc) * g.r() + ri) * g.s() + si] += (double) dy[((img * g.k() + kk) * g.p() + oh) * g.q() + ow]
                            * x[((img * g.c() + cc) * g.h() + ih) * g.w() + iw]);
            assertClose(ref, dw, java.util.Arrays.toString(cs));
        }
    }

    @Test
    void inputGradientMatchesDirectSum() {
        for (int[] cs : CASES) {
            ConvGeometry g = geometry(cs);
            if (cs[11] != 1) {
                assertFalse(ConvInputGrad.applies(g));
                continue;
            }
            assertTrue(ConvInputGrad.applies(g));
            float[] w = random(g.k() * g.colRows()), dy = random(g.n() * g.k() * g.p() * g.q());
            float[] dx = random(g.n() * g.c() * g.h() * g.w());
            ConvInputGrad.run(g, w, dy, dx, PAR, new ArrayPool());
            double[] ref = new double[dx.length];
            forEachTap(g, (img, kk, cc, ri, si, oh, ow, ih, iw) ->
                    ref[((img * g.c() + cc) * g.h() + ih) * g.w() + iw] += (double) dy[((img * g.k() + kk) * g.p() + oh) * g.q() + ow]
                            * w[((kk * g.c() + cc) * g.r() + ri) * g.s() + si]);
            assertClose(ref, dx, java.util.Arrays.toString(cs));
        }
    }

    @Test
    void thinForwardMatchesDirectSum() {
        int tested = 0;
        for (int[] cs : CASES) {
            ConvGeometry g = geometry(cs);
            if (!ThinConvForward.applies(g)) continue;
            tested++;
            float[] x = random(g.n() * g.c() * g.h() * g.w()), w = random(g.k() * g.colRows()), b = random(g.k());
            float[] y = random(g.n() * g.k() * g.p() * g.q());
            ThinConvForward.run(g, x, w, b, y, PAR, new ArrayPool());
            double[] ref = new double[y.length];
            for (int i = 0; i < ref.length; i++) ref[i] = b[i / (g.p() * g.q()) % g.k()];
            forEachTap(g, (img, kk, cc, ri, si, oh, ow, ih, iw) ->
                    ref[((img * g.k() + kk) * g.p() + oh) * g.q() + ow] += (double) w[((kk * g.c() + cc) * g.r() + ri) * g.s() + si]
                            * x[((img * g.c() + cc) * g.h() + ih) * g.w() + iw]);
            assertClose(ref, y, java.util.Arrays.toString(cs));
        }
        assertTrue(tested >= 3);
    }

    private interface Tap {
        void at(int img, int k, int c, int r, int s, int oh, int ow, int ih, int iw);
    }

    /** Every (output, filter tap) pair that reads an in-bounds input pixel. */
    private static void forEachTap(ConvGeometry g, Tap t) {
        for (int img = 0; img < g.n(); img++)
            for (int kk = 0; kk < g.k(); kk++)
                for (int cc = 0; cc < g.c(); cc++)
                    for (int ri = 0; ri < g.r(); ri++)
                        for (int si = 0; si < g.s(); si++)
                            for (int oh = 0; oh < g.p(); oh++)
                                for (int ow = 0; ow < g.q(); ow++) {
                                    int ih = oh * g.strideH() - g.padTop() + ri, iw = ow * g.strideW() - g.padLeft() + si;
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) t.at(img, kk, cc, ri, si, oh, ow, ih, iw);
                                }
    }

    private static ConvGeometry geometry(int[] c) {
        return new ConvGeometry(c[0], c[1], c[2], c[3], c[4], 1, c[5], c[6], c[11], c[11], c[7], c[8], c[9], c[10], 1, 1);
    }

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static void assertClose(double[] ref, float[] got, String what) {
        for (int i = 0; i < ref.length; i++)
            assertEquals(ref[i], got[i], 1e-4 * (1 + Math.abs(ref[i])) + 2e-5 * Math.sqrt(ref.length), what + " at " + i);
    }
}
