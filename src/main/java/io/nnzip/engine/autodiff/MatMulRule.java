package io.nnzip.engine.autodiff;

import io.nnzip.engine.autodiff.kernels.MatMulBackward;
import io.nnzip.engine.kernels.SmallGemm;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/**
 * Backward of numpy-style MatMul: batch dims broadcast, 1-D operands promoted (A to a row, B to a column).
 * <pre>A: (...,M,K), B: (...,K,N), dy: (...,M,N)</pre>
 * A rank-2 B under a batched A folds the batch into M so the weight gradient is one GEMM.
 */
final class MatMulRule {
    private MatMulRule() {}

    static Tensor[] backward(GradStep s) {
        int[] a = s.in(0).shape(), b = s.in(1).shape();
        int m = a.length == 1 ? 1 : a[a.length - 2], k = a[a.length - 1], n = b.length == 1 ? 1 : b[b.length - 1];
        float[] da = s.need(0) ? new float[s.in(0).size()] : null, db = s.need(1) ? new float[s.in(1).size()] : null;
        if (b.length <= 2 && a.length >= 2) {
            int rows = s.in(0).size() / k;
            if (da != null) MatMulBackward.gradA(false, false, rows, n, k, 1f, s.x(1), 0, s.dy(), 0, da, 0, 0f, s.par());
            if (db != null) MatMulBackward.gradB(false, false, rows, n, k, 1f, s.x(0), 0, s.dy(), 0, db, 0, 0f, s.par());
        } else {
            int[] ba = batch(a), bb = batch(b), bo = Shapes.broadcast(ba, bb);
            int[] sa = aligned(ba, bo), sb = aligned(bb, bo);
            int count = Shapes.numel(bo);
            if (SmallGemm.fits(m, n, k) && java.util.Arrays.equals(ba, bo) && java.util.Arrays.equals(bb, bo)) {
                // attention's per-head products: no operand is shared across the batch, so batches split over threads
                float[] x0 = s.x(0), x1 = s.x(1), dy = s.dy();
                s.par().forRange(count, Math.max(1, (int) (SmallGemm.MAX_MACS / Math.max(1L, (long) m * n * k))), (lo, hi) -> {
                    for (int t = lo; t < hi; t++) {
                        if (da != null) SmallGemm.gemm(false, true, m, k, n, dy, t * m * n, x1, t * k * n, da, t * m * k, false);
                        if (db != null) SmallGemm.gemm(true, false, k, n, m, x0, t * m * k, dy, t * m * n, db, t * k * n, false);
                    }
                });
                return new Tensor[] {da == null ? null : s.like(0, da), db == null ? null : s.like(1, db)};
            }
            int[] idx = new int[bo.length];
            for (int t = 0; t < count; t++) {
                int ia = 0, ib = 0, rem = t;
                for (int d = bo.length - 1; d >= 0; d--) {
                    idx[d] = rem % bo[d];
                    rem /= bo[d];
                    ia += idx[d] * sa[d];
                    ib += idx[d] * sb[d];
                }
                if (da != null) MatMulBackward.gradA(false, false, m, n, k, 1f, s.x(1), ib * k * n, s.dy(), t * m * n, da, ia * m * k, 1f, s.par());
                if (db != null) MatMulBackward.gradB(false, false, m, n, k, 1f, s.x(0), ia * m * k, s.dy(), t * m * n, db, ib * k * n, 1f, s.par());
            }
        }
        return new Tensor[] {da == null ? null : s.like(0, da), db == null ? null : s.like(1, db)};
    }

    private static int[] batch(int[] s) { return s.length <= 2 ? new int[0] : java.util.Arrays.copyOf(s, s.length - 2); }

    /** Matrix-index strides of a batch shape aligned right against the broadcast batch shape (0 where broadcast). */
    private static int[] aligned(int[] in, int[] out) {
        int[] st = Shapes.strides(in), r = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            int j = i - (out.length - in.length);
            r[i] = j < 0 || in[j] == 1 ? 0 : st[j];
        }
        return r;
    }
}
