package io.nnzip.engine.kernels;

/**
 * Unfolds one image's channel group into the matrix a convolution multiplies by, and folds gradients back.
 * <pre>
 * x:   (C,H,W) image at xOff; channels [c0, c0 + C/g) are used
 * col: (C/g·R·S, P·Q), row = (ci·R + ri)·S + si, column = p·Q + q
 * </pre>
 */
public final class Im2Col {
    private Im2Col() {}

    public static void im2col(ConvGeometry g, float[] x, int xOff, int c0, float[] col) {
        int p = g.p(), q = g.q(), hw = g.h() * g.w();
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int xc = xOff + (c0 + ci) * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = row * p * q;
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                        int o = base + oh * q;
                        if (ih < 0 || ih >= g.h()) {
                            java.util.Arrays.fill(col, o, o + q, 0f);
                            continue;
                        }
                        int xr = xc + ih * g.w();
                        for (int ow = 0; ow < q; ow++) {
                            int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                            col[o + ow] = iw >= 0 && iw < g.w() ? x[xr + iw] : 0f;
                        }
                    }
                }
        }
    }

    /** Adds the columns back into {@code dx} (the adjoint of {@link #im2col}); dx is accumulated, not cleared. */
    public static void col2im(ConvGeometry g, float[] col, float[] dx, int dxOff, int c0) {
        int p = g.p(), q = g.q(), hw = g.h() * g.w();
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int xc = dxOff + (c0 + ci) * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = row * p * q;
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                        if (ih < 0 || ih >= g.h()) continue;
                        int o = base + oh * q, xr = xc + ih * g.w();
                        for (int ow = 0; ow < q; ow++) {
                            int iw = ow * g.strideW() - g.padLeft() + si * g.dilW();
                            if (iw >= 0 && iw < g.w()) dx[xr + iw] += col[o + ow];
                        }
                    }
                }
        }
    }
}
