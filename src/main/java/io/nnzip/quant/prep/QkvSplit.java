package io.nnzip.quant.prep;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Splits a fused QKV projection as timm/PyTorch export it, MatMul(x, W[K, 3C]) + b → Reshape [B, N, 3, h, d] →
 * Transpose [2, 0, 3, 1, 4] → Split(axis 0) → Squeeze(0) ×3, into three projections MatMul(x, W_j) + b_j →
 * Reshape [B, N, h, d] → Transpose [0, 2, 1, 3]. The same function (each output is the same slice of the same
 * products); what changes is the work ONNX Runtime does: the Split copy of the whole 3C-wide activation goes
 * away, and each projection's output is already one head tensor. With int8 the three become three QGemm reading
 * one quantized input (see {@link LinearToGemm}, which shares the flattening Reshape between them).
 */
public final class QkvSplit {
    private QkvSplit() {}

    private static final long[] HEAD_SPLIT = {2, 0, 3, 1, 4};

    /** Rewrites in place; returns how many QKV projections were split. */
    public static int rewrite(Graph g, int opset) {
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of());
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        int done = 0;
        for (Node split : List.copyOf(g.nodes())) {
            if (!split.opType().equals("Split") || split.outputs().size() != 3 || split.attrInt("axis", 0) != 0) continue;
            if (!unitSplit(g, producers, split, opset)) continue;
            Node tr = only(consumers, producers.get(split.input(0)), "Transpose", split);
            if (tr == null || !Arrays.equals(tr.attrInts("perm", null), HEAD_SPLIT)) continue;
            Node rs = only(consumers, producers.get(tr.input(0)), "Reshape", tr);
            Node add = rs == null ? null : only(consumers, producers.get(rs.input(0)), "Add", rs);
            if (add == null) continue;
            int mmAt = producers.get(add.input(0)) != null && producers.get(add.input(0)).opType().equals("MatMul") ? 0 : 1;
            Node mm = only(consumers, producers.get(add.input(mmAt)), "MatMul", add);
            String bias = add.input(1 - mmAt);
            if (mm == null || !g.isInitializer(mm.input(1)) || !g.isInitializer(bias)) continue;
            ValueType heads = one.get(rs.output(0));
            if (heads == null || !heads.hasShape() || heads.rank() != 5 || heads.shape()[2] != 3) continue;
            int n = heads.shape()[1], h = heads.shape()[3], d = heads.shape()[4], c = h * d;
            Tensor w = g.initializer(mm.input(1)), b = g.initializer(bias);
            if (w.rank() != 2 || w.dim(1) != 3 * c || b.size() != 3 * c || n <= 0 || h <= 0 || d <= 0) continue;
            List<Node> squeezes = new ArrayList<>();
            for (String o : split.outputs()) {
                List<Node> cs = consumers.getOrDefault(o, List.of());
                if (cs.size() == 1 && cs.get(0).opType().equals("Squeeze") && squeezesAxisZero(g, producers, cs.get(0), opset) && !g.outputNames().contains(o))
                    squeezes.add(cs.get(0));
            }
            if (squeezes.size() != 3) continue;
            String base = mm.name().isEmpty() ? mm.output(0) : mm.name();
            String headShape = g.freshName(base + "_head_shape");
            g.initializers().put(headShape, Tensor.vector(0, 0, h, d));
            List<Node> added = new ArrayList<>();
            float[] wf = w.toFloats(), bf = b.toFloats();
            for (int j = 0; j < 3; j++) {
                float[] wj = new float[w.dim(0) * c], bj = Arrays.copyOfRange(bf, j * c, (j + 1) * c);
                for (int r = 0; r < w.dim(0); r++) System.arraycopy(wf, r * 3 * c + j * c, wj, r * c, c);
                String part = base + "_" + "qkv".charAt(j);
                String wn = g.freshName(part + "_weight"), bn = g.freshName(part + "_bias");
                g.initializers().put(wn, Tensor.of(wj, w.dim(0), c));
                g.initializers().put(bn, Tensor.of(bj, c));
                String prod = g.freshName(part + "_matmul"), biased = g.freshName(part + "_add"), shaped = g.freshName(part + "_heads");
                added.add(new Node(part + "/MatMul", "MatMul", List.of(mm.input(0), wn), List.of(prod)));
                added.add(new Node(part + "/Add", "Add", List.of(prod, bn), List.of(biased)));
                added.add(new Node(part + "/Reshape", "Reshape", List.of(biased, headShape), List.of(shaped)));
                added.add(new Node(part + "/Transpose", "Transpose", List.of(shaped), List.of(squeezes.get(j).output(0))).set(Attribute.of("perm", 0L, 2L, 1L, 3L)));
            }
            int at = g.nodes().indexOf(mm);
            g.nodes().removeAll(List.of(mm, add, rs, tr, split));
            g.nodes().removeAll(squeezes);
            g.nodes().addAll(Math.min(at, g.nodes().size()), added);
            done++;
        }
        if (done > 0) {
            GraphEdits.removeDeadNodes(g);
            g.removeUnusedInitializers();
            TopoSort.sort(g);
        }
        return done;
    }

    /** {@code p} when it is a {@code op} node whose output only {@code reader} reads (and is no graph output). */
    private static Node only(Map<String, List<Node>> consumers, Node p, String op, Node reader) {
        if (p == null || !p.opType().equals(op)) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.size() == 1 && cs.get(0) == reader ? p : null;
    }

    private static boolean unitSplit(Graph g, Map<String, Node> producers, Node split, int opset) {
        long[] sizes = split.hasInput(1) ? constant(g, producers, split.input(1), opset) : split.attrInts("split", new long[] {1, 1, 1});
        return sizes != null && Arrays.equals(sizes, new long[] {1, 1, 1});
    }

    private static boolean squeezesAxisZero(Graph g, Map<String, Node> producers, Node sq, int opset) {
        long[] axes = sq.hasInput(1) ? constant(g, producers, sq.input(1), opset) : sq.attrInts("axes", null);
        return axes != null && axes.length == 1 && axes[0] == 0;
    }

    /** Split sizes and axes: PyTorch exports them as Constant nodes, other exporters as initializers. */
    private static long[] constant(Graph g, Map<String, Node> producers, String name, int opset) {
        Tensor t = io.nnzip.engine.ConstantValue.of(g, name, producers, opset);
        return t == null ? null : t.toLongs();
    }
}
