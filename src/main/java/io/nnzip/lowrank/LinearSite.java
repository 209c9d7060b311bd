package io.nnzip.lowrank;

import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import java.util.Map;

/**
 * A fully connected layer y = x·W (+ b): Gemm with a constant B, or MatMul with a constant 2-D right operand.
 * {@code w} is the effective in×out matrix (B transposed back when transB = 1); {@code rows} is how many input
 * rows one sample contributes: every dim of x but the last, with the batch bound to 1 — the batch is not always dim 0
 * (nn.MultiheadAttention exports project (T, B, D) tokens with a MatMul and (T·B, D) with a Gemm). {@code batched}:
 * x has more than two dims.
 */
public record LinearSite(Node node, Matrix w, int in, int out, long rows, boolean batched) {

    public static Object of(Node n, Graph g, Map<String, ValueType> types) {
        boolean gemm = n.opType().equals("Gemm");
        if (!gemm && !n.opType().equals("MatMul")) return new ConvSite.Rejection("not Gemm or MatMul");
        Tensor b = g.initializer(n.input(1));
        if (b == null || b.rank() != 2) return new ConvSite.Rejection("weight is not a constant 2-D initializer");
        if (gemm && n.hasInput(2) && g.initializer(n.input(2)) == null && !types.containsKey(n.input(2)))
            return new ConvSite.Rejection("bias undefined");
        boolean transB = gemm && n.attrInt("transB", 0) != 0;
        Matrix m = Matrix.fromFloats(b.toFloats(), b.dim(0), b.dim(1));
        if (transB) m = m.transpose();
        long rows = 1;
        ValueType x = types.get(n.input(0)); // inferred at batch 1
        if (!gemm && (x == null || !x.isConcrete() || x.rank() < 1)) return new ConvSite.Rejection("input shape unknown");
        if (x != null && x.isConcrete()) for (int i = 0; i < x.rank() - 1; i++) rows *= x.shape()[i];
        return new LinearSite(n, m, m.rows, m.cols, rows, !gemm && x.rank() > 2);
    }

    public long macs() { return rows * in * out; }

    public long params() { return (long) in * out; }

    public String baseName() { return node.name().isEmpty() ? node.output(0) : node.name(); }
}
