package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;

/**
 * Gradients of a depthwise convolution (one filter per channel) by direct loops, parallel over channels so each
 * thread owns its channels' dw and dx slices.
 * <pre>x: (N,C,H,W), w: (C,1,R,S), dy: (N,C,P,Q) -> dx: (N,C,H,W), dw: (C,1,R,S)</pre>
 */
final class DepthwiseBackward {
    private DepthwiseBackward() {}

    static void run(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw, Parallel par) {
        int c = g.c(), h = g.h(), wd = g.w(), p = g.p(), q = g.q(), r = g.r(), s = g.s();
        if (dx != null) java.util.Arrays.fill(dx, 0f);
        if (dw != null) java.util.Arrays.fill(dw, 0f);
        par.forRange(c, 1, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++)
                for (int img = 0; img < g.n(); img++) {
                    int xo = (img * c + ch) * h * wd, yo = (img * c + ch) * p * q, wo = ch * r * s;
                    for (int ri = 0; ri < r; ri++)
                        for (int si = 0; si < s; si++) {
                            float wv = w[wo + ri * s + si], acc = 0f;
                            for (int oh = 0; oh < p; oh++) {
                                int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                                if (ih < 0 || ih >= h) continue;
                                int xr = xo + ih * wd, yr = yo + oh * q;
                                for (int ow = 0; ow < q; ow++) {
                                    int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                                    if (iw < 0 || iw >= wd) continue;
                                    float d = dy[yr + ow];
                                    acc += d * x[xr + iw];
                                    if (dx != null) dx[xr + iw] += d * wv;
                                }
                            }
                            if (dw != null) dw[wo + ri * s + si] += acc;
                        }
                }
        });
    }
}
