package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Forward transposed 2-D convolution (1-D uses H = 1): the adjoint of the conv described by {@code g}, whose input
 * is this op's output. Per image and group, {@code col (K/g·R·S, H·W) = w_gᵀ · x_g} and col is folded into y.
 * <pre>x: (N,C,H,W), w: (C,K/g,R,S), bias: (K) or null -> y: (N,K,OH,OW); g: c = K, h×w = OH×OW, k = C, p×q = H×W</pre>
 */
public final class ConvTranspose2d {
    private ConvTranspose2d() {}

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, Parallel par) {
        int hw = g.p() * g.q(), ohw = g.h() * g.w(), inC = g.k(), outC = g.c();
        int cg = inC / g.group(), kg = outC / g.group(), rows = kg * g.r() * g.s();
        boolean perImage = g.n() >= par.threads() && g.n() > 1;
        par.forRange(perImage ? g.n() : 1, 1, (lo, hi) -> {
            float[] col = new float[rows * hw];
            int from = perImage ? lo : 0, to = perImage ? hi : g.n();
            for (int img = from; img < to; img++) {
                int yOff = img * outC * ohw;
                if (bias != null) Conv2d.fillBias(bias, y, yOff, outC, ohw);
                else java.util.Arrays.fill(y, yOff, yOff + outC * ohw, 0f);
                for (int gi = 0; gi < g.group(); gi++) {
                    Sgemm.gemm(true, false, rows, hw, cg, 1f, w, gi * cg * rows, rows, x, (img * inC + gi * cg) * hw, hw, 0f, col, 0, hw, par);
                    Im2Col.col2im(g, col, y, yOff, gi * kg);
                }
            }
        });
    }
}
