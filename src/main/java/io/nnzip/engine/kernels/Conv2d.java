package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Forward 2-D convolution (1-D convs use H = 1) on NCHW float arrays, optionally adding a bias and applying ReLU.
 * <pre>x: (N,C,H,W), w: (K,C/g,R,S), bias: (K) or null -> y: (N,K,P,Q)</pre>
 * Depthwise convs run a direct loop; everything else is one GEMM per image and group,
 * {@code y_g (K/g, P·Q) = w_g (K/g, C/g·R·S) · col (C/g·R·S, P·Q)}, where a pointwise (1×1, stride 1, no pad) conv
 * multiplies the image itself and other convs first unfold it with {@link Im2Col}.
 */
public final class Conv2d {
    private Conv2d() {}

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Parallel par) {
        if (g.isDepthwise()) {
            depthwise(g, x, w, bias, y, relu, par);
            return;
        }
        int pq = g.p() * g.q(), chw = g.c() * g.h() * g.w(), kpq = g.k() * pq;
        boolean pointwise = g.isPointwise();
        int colSize = pointwise ? 0 : g.colRows() * pq;
        if (g.n() >= par.threads() && g.n() > 1) {
            // whole images per thread: no synchronisation inside, one unfold buffer per thread
            par.forRange(g.n(), 1, (lo, hi) -> {
                float[] col = new float[colSize];
                for (int img = lo; img < hi; img++) image(g, x, img * chw, w, bias, y, img * kpq, col, pointwise, relu, par);
            });
        } else {
            float[] col = new float[colSize];
            for (int img = 0; img < g.n(); img++) image(g, x, img * chw, w, bias, y, img * kpq, col, pointwise, relu, par);
        }
    }

    private static void image(ConvGeometry g, float[] x, int xOff, float[] w, float[] bias, float[] y, int yOff,
                              float[] col, boolean pointwise, boolean relu, Parallel par) {
        int pq = g.p() * g.q(), kg = g.kg(), rows = g.colRows(), hw = g.h() * g.w();
        fillBias(bias, y, yOff, g.k(), pq);
        float beta = bias == null ? 0f : 1f;
        for (int gi = 0; gi < g.group(); gi++) {
            int c0 = gi * g.cg();
            if (pointwise) {
                Sgemm.gemm(false, false, kg, pq, rows, 1f, w, gi * kg * rows, rows, x, xOff + c0 * hw, pq, beta, y, yOff + gi * kg * pq, pq, par);
            } else {
                Im2Col.im2col(g, x, xOff, c0, col);
                Sgemm.gemm(false, false, kg, pq, rows, 1f, w, gi * kg * rows, rows, col, 0, pq, beta, y, yOff + gi * kg * pq, pq, par);
            }
        }
        if (relu) relu(y, yOff, g.k() * pq);
    }

    // x: (N,C,H,W), w: (C,1,R,S) -> y: (N,C,P,Q); one output plane per (image, channel)
    private static void depthwise(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Parallel par) {
        int c = g.c(), h = g.h(), wd = g.w(), p = g.p(), q = g.q(), r = g.r(), s = g.s();
        par.forRange(g.n() * c, 4, (lo, hi) -> {
            for (int nc = lo; nc < hi; nc++) {
                int ch = nc % c, xo = nc * h * wd, yo = nc * p * q, wo = ch * r * s;
                float b = bias == null ? 0f : bias[ch];
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        float acc = b;
                        for (int ri = 0; ri < r; ri++) {
                            int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                            if (ih < 0 || ih >= h) continue;
                            for (int si = 0; si < s; si++) {
                                int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                                if (iw >= 0 && iw < wd) acc += w[wo + ri * s + si] * x[xo + ih * wd + iw];
                            }
                        }
                        y[yo + oh * q + ow] = relu && acc < 0f ? 0f : acc;
                    }
            }
        });
    }

    static void fillBias(float[] bias, float[] y, int yOff, int k, int plane) {
        if (bias == null) return;
        for (int ki = 0; ki < k; ki++) java.util.Arrays.fill(y, yOff + ki * plane, yOff + (ki + 1) * plane, bias[ki]);
    }

    static void relu(float[] y, int off, int len) {
        for (int i = off; i < off + len; i++) if (y[i] < 0f) y[i] = 0f;
    }
}
