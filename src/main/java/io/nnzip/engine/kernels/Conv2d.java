package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Forward 2-D convolution (1-D convs use H = 1) on NCHW float arrays, with an optional fused epilogue: bias,
 * ReLU and an unpadded max-pool applied while each image's output is still in cache.
 * <pre>x: (N,C,H,W), w: (K,C/g,R,S), bias: (K) or null -> y: (N,K,P,Q), or (N,K,P',Q') when pooled</pre>
 * Depthwise convs run a direct loop. Everything else is GEMM per group over a batch of {@code nb} images at once,
 * {@code out_g (K/g, nb·P·Q) = w_g (K/g, C/g·R·S) · col (C/g·R·S, nb·P·Q)}, where col holds the images side by
 * side (unfolded by {@link Im2Col}, or copied as is for a pointwise 1×1 conv); batching small images keeps the GEMM
 * wide enough for full-width vector tiles.
 */
public final class Conv2d {
    /** Aim for at least this many GEMM columns per call when images are small. */
    static final int MIN_COLUMNS = 384, MAX_BATCH = 16;

    private Conv2d() {}

    /** An unpadded max-pool window and stride: {@code P' = (P - kh)/sh + 1}. */
    public record Pool(int kh, int kw, int sh, int sw) {
        public int out(int in, boolean vertical) {
            return vertical ? (in - kh) / sh + 1 : (in - kw) / sw + 1;
        }
    }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Parallel par) {
        forward(g, x, w, bias, y, relu, null, par);
    }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Pool pool, Parallel par) {
        if (g.isDepthwise()) {
            Depthwise.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        int pq = g.p() * g.q();
        int nb = Math.max(1, Math.min(MAX_BATCH, (MIN_COLUMNS + pq - 1) / pq));
        if (g.n() >= par.threads() && g.n() > 1) {
            // whole images per thread: no synchronisation inside, private buffers per thread
            nb = Math.min(nb, (g.n() + par.threads() - 1) / par.threads());
            int batch = nb;
            par.forRange(g.n(), 1, (lo, hi) -> images(g, x, w, bias, y, relu, pool, lo, hi, batch, par));
        } else {
            images(g, x, w, bias, y, relu, pool, 0, g.n(), Math.min(nb, g.n()), par);
        }
    }

    private static void images(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Pool pool,
                               int lo, int hi, int nb, Parallel par) {
        int pq = g.p() * g.q(), kg = g.kg(), rows = g.colRows(), hw = g.h() * g.w(), chw = g.c() * hw;
        boolean direct = nb == 1 && pool == null;
        boolean pointwise = g.isPointwise();
        float[] col = pointwise && nb == 1 ? null : new float[rows * nb * pq];
        float[] out = direct ? null : new float[g.k() * nb * pq];
        int outPlane = pool == null ? pq : pool.out(g.p(), true) * pool.out(g.q(), false);
        for (int img0 = lo; img0 < hi; img0 += nb) {
            int cnt = Math.min(nb, hi - img0), ld = cnt * pq;
            for (int gi = 0; gi < g.group(); gi++) {
                int c0 = gi * g.cg();
                float[] bm = col;
                int bOff = 0;
                if (col == null) {
                    bm = x;
                    bOff = img0 * chw + c0 * hw;
                } else if (pointwise) {
                    for (int j = 0; j < cnt; j++)
                        for (int ci = 0; ci < rows; ci++)
                            System.arraycopy(x, (img0 + j) * chw + (c0 + ci) * hw, col, ci * ld + j * pq, pq);
                } else {
                    for (int j = 0; j < cnt; j++) Im2Col.im2col(g, x, (img0 + j) * chw, c0, col, j * pq, ld);
                }
                if (direct) {
                    int yOff = img0 * g.k() * pq + gi * kg * pq;
                    fillBias(bias, gi * kg, y, yOff, kg, pq);
                    Sgemm.gemm(false, false, kg, pq, rows, 1f, w, gi * kg * rows, rows, bm, bOff, pq, bias == null ? 0f : 1f, y, yOff, pq, par);
                    if (relu) relu(y, yOff, kg * pq);
                } else {
                    Sgemm.gemm(false, false, kg, ld, rows, 1f, w, gi * kg * rows, rows, bm, bOff, ld, 0f, out, gi * kg * ld, ld, par);
                }
            }
            if (!direct)
                for (int j = 0; j < cnt; j++)
                    for (int k = 0; k < g.k(); k++) {
                        float b = bias == null ? 0f : bias[k];
                        int src = k * ld + j * pq, dst = ((img0 + j) * g.k() + k) * outPlane;
                        if (pool == null) epilogue(out, src, y, dst, pq, b, relu);
                        else maxPool(out, src, g.p(), g.q(), pool, b, relu, y, dst);
                    }
        }
    }

    // y[dst..] = act(v[src..] + b)
    static void epilogue(float[] v, int src, float[] y, int dst, int len, float b, boolean relu) {
        if (relu) for (int i = 0; i < len; i++) y[dst + i] = Math.max(0f, v[src + i] + b);
        else for (int i = 0; i < len; i++) y[dst + i] = v[src + i] + b;
    }

    // plane: (P,Q) at src -> (P',Q') at dst; max over each window, then + b and act (both monotone, so they commute).
    // Plain comparisons instead of Math.max: a NaN in a window may be dropped rather than propagated.
    static void maxPool(float[] v, int src, int p, int q, Pool pool, float b, boolean relu, float[] y, int dst) {
        int pp = pool.out(p, true), qq = pool.out(q, false), kh = pool.kh(), kw = pool.kw(), sh = pool.sh(), sw = pool.sw();
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
            for (int i = 0; i < pp; i++) {
                int r0 = src + 2 * i * q, r1 = r0 + q, o = dst + i * qq;
                for (int j = 0; j < qq; j++) {
                    float a0 = v[r0 + 2 * j], a1 = v[r0 + 2 * j + 1], a2 = v[r1 + 2 * j], a3 = v[r1 + 2 * j + 1];
                    float m0 = a0 > a1 ? a0 : a1, m1 = a2 > a3 ? a2 : a3, m = (m0 > m1 ? m0 : m1) + b;
                    y[o + j] = m > floor ? m : floor;
                }
            }
            return;
        }
        for (int i = 0; i < pp; i++)
            for (int j = 0; j < qq; j++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int a = 0; a < kh; a++) {
                    int row = src + (i * sh + a) * q + j * sw;
                    for (int c = 0; c < kw; c++) m = v[row + c] > m ? v[row + c] : m;
                }
                m += b;
                y[dst + i * qq + j] = m > floor ? m : floor;
            }
    }

    static void fillBias(float[] bias, int k0, float[] y, int yOff, int k, int plane) {
        if (bias == null) return;
        for (int ki = 0; ki < k; ki++) java.util.Arrays.fill(y, yOff + ki * plane, yOff + (ki + 1) * plane, bias[k0 + ki]);
    }

    static void relu(float[] y, int off, int len) {
        for (int i = off; i < off + len; i++) if (y[i] < 0f) y[i] = 0f;
    }
}
