package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.kernels.ConvGeometry;

/**
 * im2col / col2im for a block of several images side by side, so one GEMM covers the whole block: image b of the
 * block owns columns [b·P·Q, (b+1)·P·Q) of a matrix whose rows are {@code ld} floats apart.
 * <pre>x: (C,H,W) at xOff -> col: (C·R·S, ld), row = (c·R + r)·S + s, column = colOff + p·Q + q</pre>
 * (group = 1; {@link io.nnzip.engine.kernels.Im2Col} is the one-image form.)
 */
final class StridedColumns {
    private StridedColumns() {}

    static void im2col(ConvGeometry g, float[] x, int xOff, float[] col, int colOff, int ld) {
        if (g.strideH() == 1 && g.strideW() == 1 && g.dilH() == 1 && g.dilW() == 1 && g.q() == g.w()) {
            shiftedPlanes(g, x, xOff, col, colOff, ld);
            return;
        }
        int p = g.p(), q = g.q(), hw = g.h() * g.w(), row = 0;
        for (int ci = 0; ci < g.c(); ci++) {
            int xc = xOff + ci * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = row * ld + colOff;
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH(), o = base + oh * q;
                        if (ih < 0 || ih >= g.h()) {
                            java.util.Arrays.fill(col, o, o + q, 0f);
                            continue;
                        }
                        int xr = xc + ih * g.w(), iw0 = -g.padLeft() + si * g.dilW();
                        if (g.strideW() == 1 && iw0 >= 0 && iw0 + q <= g.w()) {
                            System.arraycopy(x, xr + iw0, col, o, q);
                            continue;
                        }
                        for (int ow = 0; ow < q; ow++) {
                            int iw = ow * g.strideW() + iw0;
                            col[o + ow] = iw >= 0 && iw < g.w() ? x[xr + iw] : 0f;
                        }
                    }
                }
        }
    }

    /**
     * Stride 1 with Q = W ("same" width): row (c, r, s) is the input plane shifted by d = (r − padTop)·W + s − padLeft,
     * so it is one contiguous copy; then the rows that fall above/below the image and the entries that wrapped
     * around a row edge are zeroed.
     */
    private static void shiftedPlanes(ConvGeometry g, float[] x, int xOff, float[] col, int colOff, int ld) {
        int p = g.p(), w = g.w(), h = g.h(), hw = h * w, row = 0;
        for (int ci = 0; ci < g.c(); ci++) {
            int xc = xOff + ci * hw;
            for (int ri = 0; ri < g.r(); ri++) {
                int ohLo = Math.max(0, g.padTop() - ri), ohHi = Math.min(p, h + g.padTop() - ri);
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = row * ld + colOff, shift = si - g.padLeft();
                    if (ohLo >= ohHi) {
                        java.util.Arrays.fill(col, base, base + p * w, 0f);
                        continue;
                    }
                    java.util.Arrays.fill(col, base, base + ohLo * w, 0f);
                    java.util.Arrays.fill(col, base + ohHi * w, base + p * w, 0f);
                    // flat source index of output (oh, ow) is (oh + ri − padTop)·W + ow + shift; clip the ends to the plane
                    int from = ohLo * w, to = ohHi * w, src = xc + (ohLo + ri - g.padTop()) * w + shift;
                    int lead = Math.max(0, -(src - xc)), tail = Math.max(0, src + (to - from) - (xc + hw));
                    System.arraycopy(x, src + lead, col, base + from + lead, to - from - lead - tail);
                    for (int oh = ohLo; oh < ohHi; oh++) {
                        int o = base + oh * w;
                        for (int ow = 0; ow < Math.min(w, -shift); ow++) col[o + ow] = 0f;
                        for (int ow = Math.max(0, w - shift); ow < w; ow++) col[o + ow] = 0f;
                    }
                }
            }
        }
    }

    /** Adds the block's columns for one image back into dx (accumulates). */
    static void col2im(ConvGeometry g, float[] col, int colOff, int ld, float[] dx, int dxOff) {
        int p = g.p(), q = g.q(), hw = g.h() * g.w(), row = 0;
        for (int ci = 0; ci < g.c(); ci++) {
            int xc = dxOff + ci * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = row * ld + colOff;
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                        if (ih < 0 || ih >= g.h()) continue;
                        int o = base + oh * q, xr = xc + ih * g.w(), iw0 = -g.padLeft() + si * g.dilW();
                        if (g.strideW() == 1 && iw0 >= 0 && iw0 + q <= g.w()) {
                            for (int ow = 0; ow < q; ow++) dx[xr + iw0 + ow] += col[o + ow];
                            continue;
                        }
                        for (int ow = 0; ow < q; ow++) {
                            int iw = ow * g.strideW() + iw0;
                            if (iw >= 0 && iw < g.w()) dx[xr + iw] += col[o + ow];
                        }
                    }
                }
        }
    }
}
