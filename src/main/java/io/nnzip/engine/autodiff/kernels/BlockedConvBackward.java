package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.Sgemm;

/**
 * Ungrouped convolution gradients over blocks of B images at a time, so each GEMM's shared dimension is B·P·Q
 * instead of P·Q (deep layers have small P·Q; bigger GEMMs run much closer to peak).
 * <pre>
 * x: (N,C,H,W), w: (K,C,R,S), dy: (N,K,P,Q) -> dx: (N,C,H,W), dw: (K,C,R,S)
 * per block:  dyB (K, B·P·Q) gathered from dy;  colB (C·R·S, B·P·Q) = im2col of the block's images
 *             dw += dyB · colB^T;   dcolB = w^T · dyB;  dx_b += col2im(dcolB columns of image b)
 * </pre>
 * Threads take disjoint image ranges with private dw partials, summed in a fixed order (deterministic).
 */
final class BlockedConvBackward {
    /** Aim for at least this many columns per GEMM. */
    private static final int TARGET_COLUMNS = 1024;

    private BlockedConvBackward() {}

    static void run(ConvGeometry g, float[] x, float[] w, float[] dy, float[] dx, float[] dw, Parallel par, ArrayPool pool) {
        int n = g.n(), k = g.k(), pq = g.p() * g.q(), rows = g.colRows(), chw = g.c() * g.h() * g.w();
        int block = Math.max(1, Math.min(Math.min(16, n), (TARGET_COLUMNS + pq - 1) / pq));
        int chunks = Math.min(par.threads(), (n + block - 1) / block);
        float[][] partial = new float[chunks][];
        boolean pointwise = g.isPointwise();
        par.forChunks(n, chunks, (lo, hi) -> {
            int t = ConvBackward.chunkIndex(lo, n, chunks);
            float[] dwPart = dw == null ? null : pool.floats(k * rows, true);
            float[] dyB = pool.floats(k * block * pq, false), colB = pool.floats(rows * block * pq, false);
            float[] dcolB = dx == null ? null : pool.floats(rows * block * pq, false);
            for (int start = lo; start < hi; start += block) {
                int b = Math.min(block, hi - start), ld = b * pq;
                for (int i = 0; i < b; i++) {
                    int img = start + i;
                    for (int kk = 0; kk < k; kk++) System.arraycopy(dy, (img * k + kk) * pq, dyB, kk * ld + i * pq, pq);
                    if (dw == null) continue;
                    if (pointwise) for (int c = 0; c < rows; c++) System.arraycopy(x, img * chw + c * pq, colB, c * ld + i * pq, pq);
                    else StridedColumns.im2col(g, x, img * chw, colB, i * pq, ld);
                }
                if (dw != null) {
                    if (rows <= 16) smallWeightGrad(dyB, colB, dwPart, k, rows, ld);
                    else Sgemm.gemm(false, true, k, rows, ld, 1f, dyB, 0, ld, colB, 0, ld, 1f, dwPart, 0, rows, par);
                }
                if (dx == null) continue;
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
            if (dwPart != null) partial[t] = dwPart;
        });
        if (dw != null) {
            java.util.Arrays.fill(dw, 0f);
            for (float[] p : partial) if (p != null) for (int i = 0; i < dw.length; i++) dw[i] += p[i];
        }
    }

    /** dw (K, rows) += dyB (K, ld) · colB (rows, ld)^T as dot products, for the first layer's tiny C·R·S. */
    private static void smallWeightGrad(float[] dyB, float[] colB, float[] dw, int k, int rows, int ld) {
        for (int kk = 0; kk < k; kk++)
            for (int r = 0; r < rows; r++) dw[kk * rows + r] += (float) dotRows(dyB, kk * ld, colB, r * ld, ld);
    }

    private static double dotRows(float[] a, int ao, float[] b, int bo, int len) {
        jdk.incubator.vector.VectorSpecies<Float> s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        var acc = jdk.incubator.vector.FloatVector.zero(s);
        int i = 0;
        for (int end = s.loopBound(len); i < end; i += s.length())
            acc = jdk.incubator.vector.FloatVector.fromArray(s, a, ao + i).fma(jdk.incubator.vector.FloatVector.fromArray(s, b, bo + i), acc);
        double sum = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < len; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }
}
