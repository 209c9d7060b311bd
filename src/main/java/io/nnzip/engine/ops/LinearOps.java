package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.TransformerFusion;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.BiasGelu;
import io.nnzip.engine.kernels.LinearRows;
import io.nnzip.engine.kernels.PackedB;
import io.nnzip.engine.kernels.Sgemm;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SmallGemm;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.Arrays;
import java.util.List;

/** Gemm and MatMul; float32 runs on {@link Sgemm}, other numeric types on a plain double-precision loop. */
public final class LinearOps {
    private LinearOps() {}

    public static void register() {
        OpRegistry.register("Gemm", LinearOps::gemm, LinearOps::gemmShape);
        OpRegistry.register("MatMul", LinearOps::matMul, LinearOps::matMulShape);
    }

    // A: (M,K) or (K,M) if transA, B: (K,N) or (N,K) if transB, C: broadcastable to (M,N) -> Y: (M,N)
    static Tensor[] gemm(Node node, Tensor[] in, ExecContext ctx) {
        Tensor a = in[0], b = in[1], c = in.length > 2 ? in[2] : null;
        boolean ta = node.attrInt("transA", 0) != 0, tb = node.attrInt("transB", 0) != 0;
        float alpha = node.attrFloat("alpha", 1f), beta = node.attrFloat("beta", 1f);
        int[] dims = gemmDims(node, a.shape(), b.shape(), ta, tb);
        int m = dims[0], k = dims[1], n = dims[2];
        if (a.dtype() != DType.FLOAT || b.dtype() != DType.FLOAT) {
            double[] y = MatMulFallback.gemm(a, b, c, ta, tb, alpha, beta, m, k, n);
            return new Tensor[] {MatMulFallback.toTensor(a.dtype(), y, m, n)};
        }
        // every element is overwritten (by C, or by a GEMM with beta 0), so a recycled buffer is fine
        float[] y = ctx.floats(m * n);
        boolean hasC = c != null && beta != 0f, relu = node.attrInt(Fusion.RELU, 0) != 0;
        float[] bias = hasC ? featureBias(c, n, beta) : null;
        // weights packed while dense and unchanged since skip the sparsity look-up: each look-up compares the whole
        // array with its cached copy, which for a 1152×256 layer cost as much as a fifth of the multiply
        boolean cached = cachesWeights(ctx, b, m, n);
        PackedB packed = cached ? GemmWeightCache.ifUnchanged(tb, b.floats(), 0, b.dim(1), k, n) : null;
        SparseRows sp = packed != null ? null : SparseLinear.weights(tb, b.floats(), k, n);
        if ((!hasC || bias != null) && SparseLinear.linear(sp, ta, m, n, alpha, a.floats(), a.dim(1), bias, relu, y, ctx.parallel()))
            return new Tensor[] {Tensor.of(y, m, n)}; // pruned weights: the compressed-rows kernel ran, bias and ReLU included
        if (hasC) broadcastInto(node, c.toFloats(), c.shape(), y, m, n);
        if (SparseLinear.gemm(sp, ta, m, n, alpha, a.floats(), a.dim(1), y, hasC, beta, ctx.parallel())) {
            // pruned weights: the compressed-rows kernel ran
        } else if (cached) {
            if (hasC && beta != 1f) for (int i = 0; i < y.length; i++) y[i] *= beta;
            if (packed == null) packed = GemmWeightCache.packed(tb, b.floats(), 0, b.dim(1), k, n);
            packed.multiply(ta, m, alpha, a.floats(), 0, a.dim(1), y, 0, n, hasC, ctx.parallel());
        } else {
            Sgemm.gemm(ta, tb, m, n, k, alpha, a.floats(), 0, a.dim(1), b.floats(), 0, b.dim(1), hasC ? beta : 0f, y, 0, n, ctx.parallel());
        }
        if (relu) for (int i = 0; i < y.length; i++) y[i] = Math.max(0f, y[i]);
        return new Tensor[] {Tensor.of(y, m, n)};
    }

    /** beta·C as one value per output feature when C has shape (N) or (1, N), else null. */
    private static float[] featureBias(Tensor c, int n, float beta) {
        int[] cs = c.shape();
        boolean row = cs.length == 1 ? cs[0] == n : cs.length == 2 && cs[0] == 1 && cs[1] == n;
        if (!row) return null;
        float[] f = c.toFloats();
        if (beta == 1f) return f;
        float[] o = new float[n];
        for (int i = 0; i < n; i++) o[i] = beta * f[i];
        return o;
    }

    // a large B multiplied by enough rows to amortise a content check, under an Executor (a training tape moves weights every step)
    private static boolean cachesWeights(ExecContext ctx, Tensor b, int m, int n) {
        return ctx.inference() && b.size() >= GemmWeightCache.MIN_FLOATS && m >= 16 && n <= 4096 && n > 0;
    }

    /** {M, K, N} of a Gemm; -1 where unknown. */
    static int[] gemmDims(Node node, int[] a, int[] b, boolean ta, boolean tb) {
        if (a.length != 2 || b.length != 2)
            throw new NnzipException(node.describe() + ": A and B must be 2-D, got " + Shapes.str(a) + " and " + Shapes.str(b));
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
        if (k >= 0 && kb >= 0 && k != kb)
            throw new NnzipException(node.describe() + ": inner dimensions differ: op(A) is " + m + "x" + k + ", op(B) is " + kb + "x" + n);
        return new int[] {m, k >= 0 ? k : kb, n};
    }

    // c: rank <= 2, unidirectionally broadcast to (M,N)
    private static void broadcastInto(Node node, float[] c, int[] cs, float[] y, int m, int n) {
        if (cs.length > 2) throw new NnzipException(node.describe() + ": C must have rank <= 2, got " + Shapes.str(cs));
        int cm = cs.length == 2 ? cs[0] : 1, cn = cs.length >= 1 ? cs[cs.length - 1] : 1;
        if ((cm != 1 && cm != m) || (cn != 1 && cn != n))
            throw new NnzipException(node.describe() + ": C of shape " + Shapes.str(cs) + " does not broadcast to " + m + "x" + n);
        for (int i = 0; i < m; i++) {
            int ci = cm == 1 ? 0 : i * cn;
            if (cn == 1) Arrays.fill(y, i * n, (i + 1) * n, c[ci]);
            else System.arraycopy(c, ci, y, i * n, n);
        }
    }

    static ValueType[] gemmShape(Node node, ValueType[] in, int opset) {
        DType t = in[0].dtype() == null ? DType.FLOAT : in[0].dtype();
        if (!in[0].hasShape() || !in[1].hasShape()) return new ValueType[] {ValueType.of(t, -1, -1)};
        int[] d = gemmDims(node, in[0].shape(), in[1].shape(), node.attrInt("transA", 0) != 0, node.attrInt("transB", 0) != 0);
        return new ValueType[] {ValueType.of(t, d[0], d[2])};
    }

    // A: (..., M, K) or (K), B: (..., K, N) or (K) -> Y: (broadcast(...), M, N) without the promoted 1-D axes
    static Tensor[] matMul(Node node, Tensor[] in, ExecContext ctx) {
        Tensor a = in[0], b = in[1];
        MatMulPlan plan = MatMulPlan.of(node, a.shape(), b.shape());
        if (a.dtype() != DType.FLOAT || b.dtype() != DType.FLOAT) {
            if (node.has(TransformerFusion.BIAS)) throw new UnsupportedOpException("fused MatMul bias on " + a.dtype().lower());
            return new Tensor[] {MatMulFallback.matMul(a, b, plan)};
        }
        // every element is overwritten (GEMMs with beta 0), so a recycled buffer is fine
        float[] y = ctx.floats(Shapes.numel(plan.outShape()));
        boolean biasInput = node.attrInt(TransformerFusion.BIAS_INPUT, 0) != 0;
        Tensor bias = biasInput ? ConvOps.floatInput(node, in, 2) : node.has(TransformerFusion.BIAS) ? node.attrTensor(TransformerFusion.BIAS) : null;
        if (bias != null && bias.size() != plan.n()) throw new NnzipException(node.describe() + ": bias of " + bias.size() + " values for " + plan.n() + " columns");
        boolean gelu = node.attrInt(TransformerFusion.GELU, 0) != 0;
        int skipAt = biasInput ? 3 : 2;
        Tensor skip = node.attrInt(TransformerFusion.RESIDUAL, 0) != 0 ? in[skipAt] : null;
        // a residual that broadcasts (rather than matching the output) is added after, by the Add kernel itself
        float[] res = skip != null && skip.dtype() == DType.FLOAT && Arrays.equals(skip.shape(), plan.outShape()) ? skip.floats() : null;
        if (bias != null || gelu || res != null) {
            if (!linearRows(plan, a.floats(), b.floats(), y, bias == null ? null : bias.floats(), gelu, res, ctx.parallel())) {
                run(plan, a.floats(), b.floats(), y, ctx.parallel());
                BiasGelu.apply(y, y.length / plan.n(), plan.n(), bias == null ? null : bias.floats(), gelu, res, ctx.parallel());
            }
        } else run(plan, a.floats(), b.floats(), y, ctx.parallel());
        Tensor out = Tensor.of(y, plan.outShape());
        if (skip != null && res == null) {
            Node add = new Node(node.name(), "Add", List.of(node.output(0), node.input(skipAt)), List.of(node.output(0)));
            return OpRegistry.get(add).kernel().run(add, new Tensor[] {out, skip}, ctx);
        }
        return new Tensor[] {out};
    }

    /**
     * A fused linear layer over many token rows (x (B, T, K) · W (K, N), N small): {@link LinearRows} when the shape
     * suits it, else threads take blocks of rows, each a serial GEMM followed by the bias/GELU/residual epilogue while
     * the block is still in cache. False when not that shape.
     */
    private static boolean linearRows(MatMulPlan p, float[] a, float[] b, float[] y, float[] bias, boolean gelu, float[] residual, Parallel par) {
        int rows = p.batches() * p.m(), k = p.k(), n = p.n();
        if (p.bBatchSize() != 1 || p.aBatchSize() != p.batches()) return false;
        if (LinearRows.fits(rows, k, n)) {
            LinearRows.run(rows, k, n, a, b, bias, gelu, residual, y, par);
            return true;
        }
        if (rows < 4 * n || par.threads() < 2) return false;
        int block = 128, blocks = (rows + block - 1) / block;
        par.forRange(blocks, 1, (lo, hi) -> {
            for (int blk = lo; blk < hi; blk++) {
                int r0 = blk * block, r = Math.min(block, rows - r0);
                Sgemm.gemm(false, false, r, n, k, 1f, a, r0 * k, k, b, 0, n, 0f, y, r0 * n, n, null);
                BiasGelu.rows(y, r0, r0 + r, n, bias, gelu, residual);
            }
        });
        return true;
    }

    static void run(MatMulPlan p, float[] a, float[] b, float[] y, Parallel par) {
        int m = p.m(), k = p.k(), n = p.n();
        if (p.bBatchSize() == 1 && p.aBatchSize() == p.batches()) {
            // B shared by every batch: one tall GEMM over the stacked rows of A (sparse when B is pruned)
            int rows = p.batches() * m;
            if (SparseLinear.gemm(false, false, rows, k, n, 1f, a, k, b, y, false, 1f, par)) return;
            if (LinearRows.fits(rows, k, n)) LinearRows.run(rows, k, n, a, b, null, false, null, y, par);
            else Sgemm.gemm(false, false, rows, n, k, 1f, a, 0, k, b, 0, n, 0f, y, 0, n, par);
            return;
        }
        int batches = p.batches();
        if (SmallGemm.fits(m, n, k)) {
            // attention's per-head products: too small to pay for packing, so many that the batch is the parallelism
            par.forRange(batches, Math.max(1, (int) (SmallGemm.MAX_MACS / Math.max(1L, (long) m * n * k))), (lo, hi) -> {
                for (int i = lo; i < hi; i++) SmallGemm.gemm(false, false, m, n, k, a, p.aOffset(i), b, p.bOffset(i), y, i * m * n, false);
            });
            return;
        }
        Parallel.Range body = (lo, hi) -> {
            for (int i = lo; i < hi; i++)
                Sgemm.gemm(false, false, m, n, k, 1f, a, p.aOffset(i), k, b, p.bOffset(i), n, 0f, y, i * m * n, n, par);
        };
        if (batches >= par.threads() && (long) m * n * k < (1L << 21)) par.forRange(batches, 1, body);
        else body.run(0, batches);
    }

    static ValueType[] matMulShape(Node node, ValueType[] in, int opset) {
        DType t = in[0].dtype() == null ? DType.FLOAT : in[0].dtype();
        if (!in[0].hasShape() || !in[1].hasShape()) return new ValueType[] {ValueType.unknown(t)};
        return new ValueType[] {ValueType.of(t, MatMulPlan.of(node, in[0].shape(), in[1].shape()).outShape())};
    }
}
