package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Forward transposed 2-D convolution (1-D uses H = 1): the adjoint of the conv described by {@code g}, whose input
 * is this op's output. Per image and group, {@code col (K/g·R·S, P·Q) = w_gᵀ · x_g} and col is folded into y.
 * <pre>x: (N,C,H,W), w: (C,K/g,R,S), bias: (K) or null -> y: (N,K,OH,OW); g: c = K, h×w = OH×OW, k = C, p×q ≥ H×W</pre>
 * An output_padding at least as large as the stride (allowed when the dilation is larger) makes the adjoint conv's
 * P×Q exceed H×W; x is then zero-extended to P×Q first.
 */
public final class ConvTranspose2d {
    private ConvTranspose2d() {}

    public static void forward(ConvGeometry g, int xh, int xw, float[] x, float[] w, float[] bias, float[] y, Parallel par) {
        int p = g.p(), q = g.q(), pq = p * q, ohw = g.h() * g.w(), inC = g.k(), outC = g.c();
        int cg = inC / g.group(), kg = outC / g.group(), rows = kg * g.r() * g.s();
        boolean extend = p != xh || q != xw;
        boolean perImage = g.n() >= par.threads() && g.n() > 1;
        par.forRange(perImage ? g.n() : 1, 1, (lo, hi) -> {
            float[] col = new float[rows * pq];
            float[] xp = extend ? new float[inC * pq] : null;
            int from = perImage ? lo : 0, to = perImage ? hi : g.n();
            for (int img = from; img < to; img++) {
                int yOff = img * outC * ohw;
                float[] src = x;
                int xOff = img * inC * xh * xw;
                if (extend) {
                    for (int ci = 0; ci < inC; ci++)
                        for (int i = 0; i < xh; i++) System.arraycopy(x, xOff + (ci * xh + i) * xw, xp, ci * pq + i * q, xw);
                    src = xp;
                    xOff = 0;
                }
                if (bias != null) Conv2d.fillBias(bias, 0, y, yOff, outC, ohw);
                else java.util.Arrays.fill(y, yOff, yOff + outC * ohw, 0f);
                for (int gi = 0; gi < g.group(); gi++) {
                    Sgemm.gemm(true, false, rows, pq, cg, 1f, w, gi * cg * rows, rows, src, xOff + gi * cg * pq, pq, 0f, col, 0, pq, par);
                    Im2Col.col2im(g, col, y, yOff, gi * kg);
                }
            }
        });
    }
}
