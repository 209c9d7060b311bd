package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

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
        im2col(g, x, xOff, c0, col, 0, g.p() * g.q());
    }

    /**
     * Unfolds into a wider matrix: row {@code row} of this image's columns starts at {@code col[colOff + row·ld]}, so
     * several images can sit side by side (image j at colOff = j·P·Q, ld = nb·P·Q).
     */
    public static void im2col(ConvGeometry g, float[] x, int xOff, int c0, float[] col, int colOff, int ld) {
        if (shifts(g)) {
            im2colShifted(g, x, xOff, c0, col, colOff, ld);
            return;
        }
        if (g.strideW() == 1 && g.q() <= S.length()) {
            im2colNarrow(g, x, xOff, c0, col, colOff, ld);
            return;
        }
        int p = g.p(), q = g.q(), hw = g.h() * g.w(), width = g.w(), sw = g.strideW();
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int xc = xOff + (c0 + ci) * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = colOff + row * ld;
                    int shift = si * g.dilW() - g.padLeft();
                    // output columns whose input column iw = ow·sw + shift lies inside [0, W)
                    int owLo = shift >= 0 ? 0 : Math.min(q, (-shift + sw - 1) / sw);
                    int owHi = Math.max(owLo, Math.min(q, width - shift <= 0 ? 0 : (width - shift - 1) / sw + 1));
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                        int o = base + oh * q;
                        if (ih < 0 || ih >= g.h()) {
                            java.util.Arrays.fill(col, o, o + q, 0f);
                            continue;
                        }
                        int xr = xc + ih * width + shift;
                        for (int ow = 0; ow < owLo; ow++) col[o + ow] = 0f;
                        if (sw == 1) copy(x, xr + owLo, col, o + owLo, owHi - owLo);
                        else for (int ow = owLo; ow < owHi; ow++) col[o + ow] = x[xr + ow * sw];
                        for (int ow = owHi; ow < q; ow++) col[o + ow] = 0f;
                    }
                }
        }
    }

    /** Whether {@link #im2colShifted} and {@link Im2ColPanel} apply: stride 1 and output width equal to input width. */
    static boolean shifts(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.q() == g.w();
    }

    // stride 1 with Q == W ("same" width): output index p·Q + q reads input index p·W + q + (ri·dH - padTop)·W +
    // si·dW - padLeft, so each col row is the whole plane shifted by one offset, with the lanes that fall in the
    // padding masked to zero; whole-plane vectors instead of one short masked copy per output row
    private static void im2colShifted(ConvGeometry g, float[] x, int xOff, int c0, float[] col, int colOff, int ld) {
        int pq = g.p() * g.q(), hw = g.h() * g.w(), taps = g.r() * g.s(), l = S.length();
        boolean[][] valid = shiftMasks(g);
        int[] shift = shiftOffsets(g);
        VectorMask<Float> tail = S.indexInRange(pq - pq % l, pq);
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int xc = xOff + (c0 + ci) * hw;
            for (int t = 0; t < taps; t++, row++) {
                int src = xc + shift[t], dst = colOff + row * ld;
                boolean[] v = valid[t];
                int i = 0;
                for (; i + l <= pq; i += l) FloatVector.fromArray(S, x, src + i, VectorMask.fromArray(S, v, l + i)).intoArray(col, dst + i);
                if (i < pq) FloatVector.fromArray(S, x, src + i, VectorMask.fromArray(S, v, l + i)).intoArray(col, dst + i, tail);
            }
        }
    }

    /** Per tap t = ri·S + si: the input offset, relative to the plane, that output index 0 reads. */
    static int[] shiftOffsets(ConvGeometry g) {
        int[] o = new int[g.r() * g.s()];
        for (int t = 0; t < o.length; t++) o[t] = (t / g.s() * g.dilH() - g.padTop()) * g.w() + t % g.s() * g.dilW() - g.padLeft();
        return o;
    }

    private static final ThreadLocal<Object[]> SHIFT_MASKS = new ThreadLocal<>();

    /**
     * Per tap (ri, si): m[t][L + i] says whether output position i reads inside the image, with L = one vector of
     * false before and after, so masks load whole at any offset in [-L, P·Q]. Cached for the last geometry this
     * thread saw: a conv unfolds every image of a batch with the same one.
     */
    static boolean[][] shiftMasks(ConvGeometry g) {
        Object[] cached = SHIFT_MASKS.get();
        if (cached != null && cached[0].equals(g)) return (boolean[][]) cached[1];
        int p = g.p(), q = g.q(), l = S.length();
        boolean[][] m = new boolean[g.r() * g.s()][p * q + 2 * l];
        for (int ri = 0; ri < g.r(); ri++)
            for (int si = 0; si < g.s(); si++)
                for (int oh = 0; oh < p; oh++) {
                    int ih = oh - g.padTop() + ri * g.dilH();
                    if (ih < 0 || ih >= g.h()) continue;
                    for (int ow = 0; ow < q; ow++) {
                        int iw = ow - g.padLeft() + si * g.dilW();
                        m[ri * g.s() + si][l + oh * q + ow] = iw >= 0 && iw < g.w();
                    }
                }
        SHIFT_MASKS.set(new Object[] {g, m});
        return m;
    }

    // stride-1 rows of at most one vector: each output row is one masked load (lanes outside the image read as
    // zero, which is the padding) and one masked store
    private static void im2colNarrow(ConvGeometry g, float[] x, int xOff, int c0, float[] col, int colOff, int ld) {
        int p = g.p(), q = g.q(), hw = g.h() * g.w(), width = g.w();
        VectorMask<Float> store = S.indexInRange(0, q);
        FloatVector zero = FloatVector.zero(S);
        VectorMask<Float>[] valid = validLanes(g);
        int row = 0;
        for (int ci = 0; ci < g.cg(); ci++) {
            int xc = xOff + (c0 + ci) * hw;
            for (int ri = 0; ri < g.r(); ri++)
                for (int si = 0; si < g.s(); si++, row++) {
                    int base = colOff + row * ld, shift = si * g.dilW() - g.padLeft();
                    VectorMask<Float> m = valid[si];
                    for (int oh = 0; oh < p; oh++) {
                        int ih = oh * g.strideH() - g.padTop() + ri * g.dilH();
                        if (ih < 0 || ih >= g.h()) zero.intoArray(col, base + oh * q, store);
                        else FloatVector.fromArray(S, x, xc + ih * width + shift, m).intoArray(col, base + oh * q, store);
                    }
                }
        }
    }

    // per kernel column si: the output columns ow < Q whose input column ow + shift lies inside [0, W)
    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] validLanes(ConvGeometry g) {
        VectorMask<Float>[] m = new VectorMask[g.s()];
        for (int si = 0; si < g.s(); si++) {
            int shift = si * g.dilW() - g.padLeft();
            boolean[] lanes = new boolean[S.length()];
            for (int ow = 0; ow < g.q(); ow++) lanes[ow] = ow + shift >= 0 && ow + shift < g.w();
            m[si] = VectorMask.fromArray(S, lanes, 0);
        }
        return m;
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    // image rows are short (7..56 floats): whole vectors plus one masked tail beat System.arraycopy's call overhead
    static void copy(float[] src, int s, float[] dst, int d, int len) {
        int i = 0;
        for (; i + S.length() <= len; i += S.length()) FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
        if (i < len) {
            VectorMask<Float> m = S.indexInRange(i, len);
            FloatVector.fromArray(S, src, s + i, m).intoArray(dst, d + i, m);
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
