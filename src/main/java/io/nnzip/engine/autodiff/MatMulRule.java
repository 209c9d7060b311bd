package io.nnzip.engine.autodiff;

import io.nnzip.engine.TransformerFusion;
import io.nnzip.engine.autodiff.kernels.Broadcasts;
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
        if (s.node().attrInt(TransformerFusion.GELU, 0) != 0 || s.node().has(TransformerFusion.BIAS))
            throw GradRules.unsupported(s, "a MatMul fused for inference (constant bias or GELU epilogue) has no gradient");
        boolean biasInput = s.node().attrInt(TransformerFusion.BIAS_INPUT, 0) != 0;
        float[] da = s.need(0) ? s.gradBuffer(0, false) : null, db = s.need(1) ? s.gradBuffer(1, false) : null;
        Tensor[] r = new Tensor[s.in().length];
        if (biasInput || s.node().attrInt(TransformerFusion.RESIDUAL, 0) != 0) {
            // the training fusion's linear layer: y = x·W + bias [+ skip]
            if (b.length != 2 || a.length < 2) throw GradRules.unsupported(s, "a fused linear layer needs a 2-D weight");
            int rows = s.in(0).size() / k, skipAt = biasInput ? 3 : 2;
            if (biasInput && s.need(2)) r[2] = s.like(2, columnSums(s.dy(), rows, n, s.pool().floats(n, false), s.par()));
            if (s.need(skipAt)) r[skipAt] = s.like(skipAt, Broadcasts.reduceTo(s.dy(), s.out(0).shape(), s.in(skipAt).shape()));
        }
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
            // the loop below accumulates (a broadcast operand gathers several batches)
            if (da != null) java.util.Arrays.fill(da, 0f);
            if (db != null) java.util.Arrays.fill(db, 0f);
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
        if (da != null) r[0] = s.like(0, da);
        if (db != null) r[1] = s.like(1, db);
        return r;
    }

    /** Σ over rows of dy (rows, n) into out (n): a linear layer's bias gradient. */
    static float[] columnSums(float[] dy, int rows, int n, float[] out, io.nnzip.engine.Parallel par) {
        int chunks = Math.max(1, Math.min(par.threads(), rows / 64));
        float[][] part = new float[chunks][];
        par.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int lo = (int) ((long) rows * c / chunks), hi = (int) ((long) rows * (c + 1) / chunks);
                float[] acc = part[c] = new float[n];
                for (int r = lo; r < hi; r++) io.nnzip.engine.autodiff.kernels.VecSums.addInto(dy, r * n, acc, n);
            }
        });
        java.util.Arrays.fill(out, 0f);
        for (float[] p : part) for (int j = 0; j < n; j++) out[j] += p[j];
        return out;
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
