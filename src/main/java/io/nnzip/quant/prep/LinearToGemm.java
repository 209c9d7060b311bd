package io.nnzip.quant.prep;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a linear layer on token sequences, MatMul(x[B,N,K], W[K,M]) + Add(b[M]) as PyTorch exports it, into
 * Reshape(x, [-1, K]) → Gemm(W, b) → Reshape([-1, N, M]). The result is the same function; the point is that
 * ONNX Runtime's QDQ Gemm becomes one QGemm with the bias added in its epilogue, where the 3-D MatMul becomes
 * MatMulIntegerToFloat followed by a separate float Add pass over the whole activation. Reshape is a view in ORT.
 * Only rewrites where every dim but the first (batch) and the last is static, checked by inferring shapes at
 * two batch sizes.
 */
public final class LinearToGemm {
    private LinearToGemm() {}

    /** Rewrites in place; returns how many layers. */
    public static int rewrite(Graph g, int opset) {
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of());
        Map<String, ValueType> two = ShapeInference.infer(g, opset, 2, Map.of());
        Map<String, List<Node>> consumers = g.consumers();
        java.util.Set<String> outs = java.util.Set.copyOf(g.outputNames());
        int done = 0;
        // one flattening per input: the split Q/K/V projections read the same x, and each Reshape would get its own Q
        Map<String, String> flattened = new java.util.HashMap<>();
        for (Node mm : List.copyOf(g.nodes())) {
            if (!mm.opType().equals("MatMul") || !g.isInitializer(mm.input(1)) || g.initializer(mm.input(1)).rank() != 2) continue;
            Tensor w = g.initializer(mm.input(1));
            int k = w.dim(0), m = w.dim(1);
            Node add = Chains.biasAdd(g, consumers, outs, mm, m);
            if (add == null) continue;
            String bias = add.input(Chains.biasInput(add, mm));
            int[] middle = staticMiddle(one.get(mm.input(0)), two.get(mm.input(0)), k);
            if (middle == null) continue;
            long[] back = new long[middle.length + 2];
            back[0] = -1;
            for (int i = 0; i < middle.length; i++) back[i + 1] = middle[i];
            back[back.length - 1] = m;
            String base = mm.name().isEmpty() ? mm.output(0) : mm.name();
            String flatShape = g.freshName(base + "_2d_shape"), backShape = g.freshName(base + "_nd_shape");
            g.initializers().put(flatShape, Tensor.vector(-1, k));
            g.initializers().put(backShape, Tensor.vector(back));
            String flatKey = mm.input(0) + "\u0000" + k;
            boolean shared = flattened.containsKey(flatKey);
            String flat = shared ? flattened.get(flatKey) : g.freshName(base + "_2d_in"), out2d = g.freshName(base + "_2d_out");
            flattened.put(flatKey, flat);
            String b = bias;
            if (g.initializer(bias).rank() == 0) {
                b = g.freshName(bias + "_vector");
                g.initializers().put(b, g.initializer(bias).reshape(m));
            }
            Node gemm = new Node(mm.name(), "Gemm", List.of(flat, mm.input(1), b), List.of(out2d));
            int at = g.nodes().indexOf(mm);
            g.nodes().remove(mm);
            g.nodes().remove(add);
            List<Node> nodes = new java.util.ArrayList<>();
            if (!shared) nodes.add(new Node(base + "_to2d", "Reshape", List.of(mm.input(0), flatShape), List.of(flat)));
            nodes.add(gemm);
            nodes.add(new Node(base + "_tond", "Reshape", List.of(out2d, backShape), List.of(add.output(0))));
            g.nodes().addAll(Math.min(at, g.nodes().size()), nodes);
            done++;
        }
        if (done > 0) {
            g.removeUnusedInitializers();
            TopoSort.sort(g);
        }
        return done;
    }

    /** Dims 1..r-2 of x when x has rank ≥ 3, its last dim is k and those dims do not change with the batch. */
    private static int[] staticMiddle(ValueType a, ValueType b, int k) {
        if (a == null || b == null || !a.hasShape() || !b.hasShape() || a.rank() < 3 || a.rank() != b.rank()) return null;
        int r = a.rank();
        if (a.shape()[r - 1] != k || b.shape()[r - 1] != k) return null;
        int[] mid = new int[r - 2];
        for (int i = 1; i < r - 1; i++) {
            if (a.shape()[i] < 0 || a.shape()[i] != b.shape()[i]) return null;
            mid[i - 1] = a.shape()[i];
        }
        // the batch must be what varies, else [-1, ...] would fold it wrongly
        if (a.shape()[0] == b.shape()[0]) return null;
        return mid;
    }

}
