package io.nnzip.eval;

import io.nnzip.engine.ValueType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;

/**
 * Multiply-accumulates of one node from its inferred shapes. Only the layers that dominate cost (convolutions
 * and matrix products) count; elementwise work is reported elsewhere as activations, not MACs.
 */
public final class Macs {
    private Macs() {}

    /** MACs of {@code n}, or -1 when shapes are unknown, 0 for ops that do no multiply-accumulate. */
    public static long of(Node n, ValueType[] in, ValueType[] out) {
        switch (n.opType()) {
            case "Conv", "ConvInteger", "QLinearConv" -> {
                ValueType y = out.length > 0 ? out[0] : null;
                ValueType w = in.length > (n.opType().equals("QLinearConv") ? 3 : 1) ? in[n.opType().equals("QLinearConv") ? 3 : 1] : null;
                if (y == null || w == null || !y.isConcrete() || !w.isConcrete()) return -1;
                // every output element takes (C/g)·R·S products: exactly w's size divided by K
                return (long) Shapes.numel(y.shape()) * (w.numel() / w.shape()[0]);
            }
            case "ConvTranspose" -> {
                ValueType x = in[0], w = in.length > 1 ? in[1] : null;
                if (x == null || w == null || !x.isConcrete() || !w.isConcrete()) return -1;
                // each input element scatters into (K/g)·R·S outputs: w is (C, K/g, R, S)
                return (long) Shapes.numel(x.shape()) * (w.numel() / w.shape()[0]);
            }
            case "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul" -> {
                ValueType y = out.length > 0 ? out[0] : null;
                ValueType a = in.length > 0 ? in[0] : null;
                if (y == null || a == null || !y.isConcrete() || !a.isConcrete() || a.rank() == 0) return -1;
                boolean transA = n.opType().equals("Gemm") && n.attrInt("transA", 0) != 0;
                int k = transA ? a.shape()[0] : a.shape()[a.rank() - 1];
                return (long) Shapes.numel(y.shape()) * k;
            }
            case "MatMulNBits" -> {
                // com.microsoft's 4-bit weight-only MatMul: Y = A · W with W [K, N] packed; K is an attribute
                ValueType y = out.length > 0 ? out[0] : null;
                long k = n.attrInt("K", -1);
                if (y == null || !y.isConcrete() || k <= 0) return -1;
                return (long) Shapes.numel(y.shape()) * k;
            }
            case "QAttention" -> {
                // com.microsoft's int8 attention block: x (B, S, K) · W (K, 3C), then q·kᵀ and a·v per head (S·S·C each per image)
                ValueType x = in.length > 0 ? in[0] : null, w = in.length > 1 ? in[1] : null;
                if (x == null || w == null || !x.isConcrete() || !w.isConcrete() || x.rank() != 3 || w.rank() != 2) return -1;
                long rows = (long) x.shape()[0] * x.shape()[1], s = x.shape()[1], c = w.shape()[1] / 3;
                return rows * w.shape()[0] * 3 * c + 2 * rows * s * c;
            }
            default -> {
                return 0;
            }
        }
    }
}
