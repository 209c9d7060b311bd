package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.Im2Col;
import io.nnzip.engine.kernels.Sgemm;

/**
 * Gradients of a 2-D convolution as GEMMs over im2col columns.
 * <pre>
 * x: (N,C,H,W), w: (K,C/g,R,S), dy: (N,K,P,Q) -> dx: (N,C,H,W), dw: (K,C/g,R,S), db: (K)
 * per image n and group g:  dw_g += dy_g (K/g, P·Q) · col_g^T (P·Q, C/g·R·S)
 *                           dcol_g = w_g^T (C/g·R·S, K/g) · dy_g (K/g, P·Q);  dx += col2im(dcol_g)
 * </pre>
 * Ungrouped convolutions take {@link ConvWeightGrad} for dw and, at stride 1, {@link ConvInputGrad} (a forward
 * convolution) for dx, else {@link BlockedConvBackward}. For grouped ones the batch is split across the thread
 * team; each thread owns a column buffer and a partial dw, summed at the end, so GEMMs run single-threaded on
 * per-thread data and never contend. Depthwise convolutions take a direct
 * loop instead (their per-group GEMMs would be 1-row products).
 */
public final class ConvBackward {
    private ConvBackward() {}

    /** Any of dx, dw, db may be null when that gradient is not wanted; all non-null outputs are overwritten. */
    public static void run(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db, Parallel par) {
        run(g, x, w, dy, dx, dw, db, par, new ArrayPool());
    }

    /** As above, taking scratch buffers from {@code pool}. */
    public static void run(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw, float[] db, Parallel par, ArrayPool pool) {
        int k = g.k(), pq = g.p() * g.q();
        if (db != null) biasGrad(dy, db, g.n(), k, pq, par);
        if (dx == null && dw == null) return;
        if (g.isDepthwise() && g.group() > 1) {
            DepthwiseBackward.run(g, x, w, dy, dx, dw, par);
            return;
        }
        if (g.group() == 1) {
            if (dw != null) ConvWeightGrad.run(g, x, dy, dw, par, pool);
            if (dx == null) return;
            if (ConvInputGrad.applies(g)) {
                ConvInputGrad.run(g, w, dy, dx, par, pool);
            } else {
                java.util.Arrays.fill(dx, 0f);
                BlockedConvBackward.inputGrad(g, w, dy, dx, par, pool);
            }
            return;
        }
        if (dx != null) java.util.Arrays.fill(dx, 0f);
        int n = g.n();
        int chunks = Math.min(par.threads(), n);
        int wSize = k * g.colRows();
        float[][] partial = new float[chunks][];
        par.forChunks(n, chunks, (lo, hi) -> {
            int t = chunkIndex(lo, n, chunks);
            float[] dwPart = dw == null ? null : new float[wSize];
            float[] col = new float[g.colRows() * pq];
            float[] dcol = dx == null ? null : new float[g.colRows() * pq];
            for (int img = lo; img < hi; img++) backwardImage(g, x, w, dy, dx, dwPart, col, dcol, img, par);
            if (dwPart != null) partial[t] = dwPart;
        });
        if (dw != null) {
            java.util.Arrays.fill(dw, 0f);
            for (float[] p : partial) if (p != null) for (int i = 0; i < wSize; i++) dw[i] += p[i];
        }
    }

    private static void backwardImage(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw,
                                      float[] col, float[] dcol, int img, Parallel par) {
        int pq = g.p() * g.q(), kg = g.kg(), rows = g.colRows();
        int xOff = img * g.c() * g.h() * g.w();
        boolean direct = g.isPointwise();
        for (int grp = 0; grp < g.group(); grp++) {
            int dyOff = (img * g.k() + grp * kg) * pq;
            int wOff = grp * kg * rows;
            float[] cols = col;
            int colOff = 0;
            if (direct) {
                cols = x;
                colOff = xOff + grp * g.cg() * pq;
            } else if (dw != null) {
                Im2Col.im2col(g, x, xOff, grp * g.cg(), col);
            }
            if (dw != null) Sgemm.gemm(false, true, kg, rows, pq, 1f, dy, dyOff, pq, cols, colOff, pq, 1f, dw, wOff, rows, par);
            if (dx == null) continue;
            if (direct) {
                Sgemm.gemm(true, false, rows, pq, kg, 1f, w, wOff, rows, dy, dyOff, pq, 1f, dx, xOff + grp * g.cg() * pq, pq, par);
            } else {
                Sgemm.gemm(true, false, rows, pq, kg, 1f, w, wOff, rows, dy, dyOff, pq, 0f, dcol, 0, pq, par);
                Im2Col.col2im(g, dcol, dx, xOff, grp * g.cg());
            }
        }
    }

    /** Which of Parallel.forChunks' ranges starts at {@code lo} (ranges start at floor(n·c/chunks)). */
    static int chunkIndex(int lo, int n, int chunks) {
        for (int c = 0; c < chunks; c++) if ((long) n * c / chunks == lo) return c;
        throw new IllegalStateException("no chunk starts at " + lo);
    }

    // dy: (N,K,P·Q) -> db: (K); vectorized and split over channels (a scalar sum is one long dependency chain)
    static void biasGrad(float[] dy, float[] db, int n, int k, int pq, Parallel par) {
        par.forRange(k, 4, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double s = 0;
                for (int i = 0; i < n; i++) s += VecSums.sum(dy, (i * k + c) * pq, pq);
                db[c] = (float) s;
            }
        });
    }
}
