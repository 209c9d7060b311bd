package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;

/**
 * 2-D max pooling while training: the forward also records, per output, the flat in-plane index of the window's
 * first maximum, so the backward pass is a scatter. Parallel over (n, c) planes; a 2×2 stride-2 unpadded window
 * (the common case) takes a straight-line path.
 * <pre>x: (N,C,H,W) -> y: (N,C,P,Q), argmax: (N,C,P,Q) indices into H·W (−1 for an all-padding window)</pre>
 */
public final class MaxPoolTraining {
    private MaxPoolTraining() {}

    public static void forward(ConvGeometry g, float[] x, float[] y, int[] argmax, Parallel par) {
        int h = g.h(), w = g.w(), p = g.p(), q = g.q(), planes = g.n() * g.c();
        boolean twoByTwo = g.r() == 2 && g.s() == 2 && g.strideH() == 2 && g.strideW() == 2 && g.padTop() == 0 && g.padLeft() == 0
                && g.dilH() == 1 && g.dilW() == 1 && 2 * p <= h && 2 * q <= w;
        par.forRange(planes, 8, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xo = pl * h * w, yo = pl * p * q;
                if (twoByTwo) {
                    for (int oh = 0; oh < p; oh++) {
                        int r0 = xo + 2 * oh * w, r1 = r0 + w, o = yo + oh * q;
                        for (int ow = 0; ow < q; ow++) {
                            // selects instead of branches: which element wins is random, so branches would mispredict
                            int i0 = r0 + 2 * ow, i2 = r1 + 2 * ow;
                            float v0 = x[i0], v1 = x[i0 + 1], v2 = x[i2], v3 = x[i2 + 1];
                            int b01 = v1 > v0 ? i0 + 1 : i0, b23 = v3 > v2 ? i2 + 1 : i2;
                            float m01 = Math.max(v0, v1), m23 = Math.max(v2, v3);
                            boolean low = m23 > m01;
                            y[o + ow] = low ? m23 : m01;
                            argmax[o + ow] = (low ? b23 : b01) - xo;
                        }
                    }
                    continue;
                }
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        int best = -1;
                        float bv = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < g.r(); i++) {
                            int ih = oh * g.strideH() - g.padTop() + i * g.dilH();
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < g.s(); j++) {
                                int iw = ow * g.strideW() - g.padLeft() + j * g.dilW();
                                if (iw < 0 || iw >= w) continue;
                                float v = x[xo + ih * w + iw];
                                if (best < 0 || v > bv) {
                                    bv = v;
                                    best = ih * w + iw;
                                }
                            }
                        }
                        y[yo + oh * q + ow] = best < 0 ? Float.NEGATIVE_INFINITY : bv;
                        argmax[yo + oh * q + ow] = best;
                    }
            }
        });
    }

    // dy: (N,C,P,Q), argmax: (N,C,P,Q) -> dx: (N,C,H,W), any contents on entry (overwritten)
    public static float[] backward(int[] argmax, float[] dy, float[] dx, int planes, int hw, int pq, Parallel par) {
        par.forRange(planes, 8, (lo, hi) -> {
            // each thread clears only its own planes, just before scattering into them (still in cache)
            for (int pl = lo; pl < hi; pl++) {
                int xo = pl * hw, yo = pl * pq;
                java.util.Arrays.fill(dx, xo, xo + hw, 0f);
                for (int i = 0; i < pq; i++) {
                    int a = argmax[yo + i];
                    if (a >= 0) dx[xo + a] += dy[yo + i];
                }
            }
        });
        return dx;
    }
}
