package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Unfolds a batch of images straight into the packed right-hand-side layout of {@link MicroKernel#kernel}, one
 * NR-wide sliver at a time, so the conv GEMM consumes each sliver from L1 right after it is written: the 9×-inflated
 * unfold of a 3×3 conv never travels through L2 or memory.
 * Applies to stride-1 convs whose output width equals the input width ({@link Im2Col#shifts}), where every
 * unfolded row of an image is its channel plane shifted by one offset, padding lanes masked to zero.
 * <pre>
 * x:     images [img0, img0 + cnt) of (N,C,H,W); channels [c0, c0 + C/g)
 * col:   (rows, ld), rows = C/g·R·S, column j·P·Q + i = output position i of image j; columns ≥ cnt·P·Q are zero
 * sliver s: (rows, NR): buf[row·NR + jj] = col[row, s·NR + jj]
 * </pre>
 */
final class Im2ColPanel {
    private static final VectorSpecies<Float> S = Im2Col.S;
    private static final int L = S.length(), NR = MicroKernel.NR;

    private Im2ColPanel() {}

    /** Vectors of one sliver must each span at most two images. */
    static boolean applies(ConvGeometry g) {
        return Im2Col.shifts(g) && g.p() * g.q() >= L && NR % L == 0;
    }

    /** Unfolds sliver s (columns [s·NR, s·NR + NR)) into {@code buf[0 .. rows·NR)}, rows (C/g·R·S, NR). */
    static void unfoldSliver(ConvGeometry g, float[] x, int img0, int cnt, int c0, int s, float[] buf) {
        int pq = g.p() * g.q(), hw = g.h() * g.w(), chw = g.c() * hw, taps = g.r() * g.s(), rows = g.colRows();
        boolean[][] valid = Im2Col.shiftMasks(g);
        int[] shift = Im2Col.shiftOffsets(g);
        for (int half = 0; half < NR; half += L) {
            int c = s * NR + half, j = c / pq, o = c - j * pq;
            if (j >= cnt) {
                FloatVector zero = FloatVector.zero(S);
                for (int row = 0; row < rows; row++) zero.intoArray(buf, row * NR + half);
                continue;
            }
            int x0 = (img0 + j) * chw + c0 * hw + o;
            // lanes [split, L) belong to image j + 1, read from its position o - pq (masks index from -L)
            int split = pq - o;
            if (split >= L || j + 1 >= cnt) {
                for (int ci = 0, row = 0; ci < g.cg(); ci++)
                    for (int t = 0; t < taps; t++, row++)
                        FloatVector.fromArray(S, x, x0 + ci * hw + shift[t], VectorMask.fromArray(S, valid[t], L + o)).intoArray(buf, row * NR + half);
            } else {
                VectorMask<Float> second = S.indexInRange(0, split).not();
                int x1 = x0 + chw - pq;
                for (int ci = 0, row = 0; ci < g.cg(); ci++)
                    for (int t = 0; t < taps; t++, row++) {
                        FloatVector a = FloatVector.fromArray(S, x, x0 + ci * hw + shift[t], VectorMask.fromArray(S, valid[t], L + o));
                        FloatVector b = FloatVector.fromArray(S, x, x1 + ci * hw + shift[t], VectorMask.fromArray(S, valid[t], L + o - pq));
                        a.blend(b, second).intoArray(buf, row * NR + half);
                    }
            }
        }
    }
}
