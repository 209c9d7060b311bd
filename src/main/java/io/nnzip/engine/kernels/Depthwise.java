package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Depthwise 2-D convolution (group = C = K) as a direct loop, one output plane per (image, channel).
 * <pre>x: (N,C,H,W), w: (C,1,R,S), bias: (C) or null -> y: (N,C,P,Q), or pooled (N,C,P',Q')</pre>
 */
final class Depthwise {
    private Depthwise() {}

    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        int c = g.c(), h = g.h(), wd = g.w(), p = g.p(), q = g.q(), r = g.r(), s = g.s();
        int outPlane = pool == null ? p * q : pool.out(p, true) * pool.out(q, false);
        par.forRange(g.n() * c, 4, (lo, hi) -> {
            float[] plane = new float[p * q], tmp = new float[p * q];
            for (int nc = lo; nc < hi; nc++) {
                int ch = nc % c, xo = nc * h * wd, wo = ch * r * s;
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        float acc = 0f;
                        for (int ri = 0; ri < r; ri++) {
                            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                            if (ih < 0 || ih >= h) continue;
                            for (int si = 0; si < s; si++) {
                                int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                                if (iw >= 0 && iw < wd) acc += w[wo + ri * s + si] * x[xo + ih * wd + iw];
                            }
                        }
                        plane[oh * q + ow] = acc;
                    }
                float b = bias == null ? 0f : bias[ch];
                if (pool == null) MaxPoolEpilogue.biasAct(plane, 0, y, nc * outPlane, p * q, b, relu);
                else MaxPoolEpilogue.maxPool(plane, 0, p, q, pool, b, relu, y, nc * outPlane, tmp);
            }
        });
    }
}
