package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.Sgemm;

/**
 * Input gradient of an ungrouped convolution that {@link ConvInputGrad} cannot take (strided or dilated), over
 * blocks of B images at a time so each GEMM's width is B·P·Q instead of P·Q (deep layers have small P·Q).
 * <pre>
 * w: (K,C,R,S), dy: (N,K,P,Q) -> dx: (N,C,H,W)
 * per block:  dyB (K, B·P·Q) gathered from dy;  dcolB (C·R·S, B·P·Q) = w^T · dyB;  dx_b += col2im(dcolB columns of image b)
 * </pre>
 * Threads take disjoint image ranges.
 */
final class BlockedConvBackward {
    /** Aim for at least this many columns per GEMM. */
    private static final int TARGET_COLUMNS = 1024;

    private BlockedConvBackward() {}

    /** Accumulates into dx (zero it first). */
    static void inputGrad(ConvGeometry g, float[] w, float[] dy, float[] dx, Parallel par, ArrayPool pool) {
        int n = g.n(), k = g.k(), pq = g.p() * g.q(), rows = g.colRows(), chw = g.c() * g.h() * g.w();
        int block = Math.max(1, Math.min(Math.min(16, n), (TARGET_COLUMNS + pq - 1) / pq));
        int chunks = Math.min(par.threads(), (n + block - 1) / block);
        boolean pointwise = g.isPointwise();
        par.forChunks(n, chunks, (lo, hi) -> {
            float[] dyB = pool.floats(k * block * pq, false), dcolB = pool.floats(rows * block * pq, false);
            for (int start = lo; start < hi; start += block) {
                int b = Math.min(block, hi - start), ld = b * pq;
                for (int i = 0; i < b; i++)
                    for (int kk = 0; kk < k; kk++) System.arraycopy(dy, ((start + i) * k + kk) * pq, dyB, kk * ld + i * pq, pq);
                Sgemm.gemm(true, false, rows, ld, k, 1f, w, 0, rows, dyB, 0, ld, 0f, dcolB, 0, ld, par);
                for (int i = 0; i < b; i++) {
                    int img = start + i;
                    if (pointwise) {
                        for (int c = 0; c < rows; c++) {
                            int src = c * ld + i * pq, dst = img * chw + c * pq;
                            for (int j = 0; j < pq; j++) dx[dst + j] += dcolB[src + j];
                        }
                    } else {
                        StridedColumns.col2im(g, dcolB, i * pq, ld, dx, img * chw);
                    }
                }
            }
        });
    }
}
