package io.nnzip.quant.prep;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves a Transpose that keeps the last axis from before a linear layer to after it: MatMul(Transpose(x, p), W) [+ b]
 * becomes Transpose(MatMul(x, W) [+ b], p), the same values (a linear layer acts on the last axis only). Shape
 * readers of the transposed tensor read Gather(Shape(x), p) instead. nn.MultiheadAttention's export transposes its
 * (B, T, D) input to (T, B, D) before the in-projection; afterwards the LayerNorm in front reaches the linear layer
 * directly ({@link LayerNormFold} folds it) and the layer is on (B, T, D) rows ({@link LinearToGemm} makes it a Gemm).
 */
public final class TransposeAfterLinear {
    private TransposeAfterLinear() {}

    /** Rewrites in place; returns how many Transposes were moved. */
    public static int rewrite(Graph g) {
        int done = 0;
        for (Node tr : List.copyOf(g.nodes())) {
            if (!Chains.isOp(tr, "Transpose")) continue;
            Map<String, List<Node>> consumers = g.consumers();
            Set<String> outs = Set.copyOf(g.outputNames());
            long[] perm = tr.attrInts("perm", null);
            if (perm == null || perm.length < 2 || perm[perm.length - 1] != perm.length - 1 || outs.contains(tr.output(0))) continue;
            List<Node> readers = consumers.getOrDefault(tr.output(0), List.of());
            List<Node> shapes = readers.stream().filter(r -> Chains.isOp(r, "Shape")).toList();
            if (readers.size() != shapes.size() + 1 || shapes.stream().anyMatch(s -> !s.attributes().isEmpty())) continue;
            Node mm = readers.stream().filter(r -> !Chains.isOp(r, "Shape")).findFirst().orElseThrow();
            Tensor w = Chains.isOp(mm, "MatMul") && mm.input(0).equals(tr.output(0)) ? g.initializer(mm.input(1)) : null;
            if (w == null || w.rank() != 2 || w.dtype() != DType.FLOAT || outs.contains(mm.output(0))) continue;
            Node add = Chains.biasAdd(g, consumers, outs, mm, w.dim(1));
            Node last = add != null && !outs.contains(add.output(0)) ? add : mm;
            String x = tr.input(0), out = last.output(0), moved = g.freshName(out + "_untransposed");
            last.outputs().set(0, moved);
            mm.inputs().set(0, x);
            List<Node> added = new ArrayList<>();
            added.add(new Node(tr.name(), "Transpose", List.of(moved), List.of(out)).set(Attribute.of("perm", perm)));
            if (!shapes.isEmpty()) {
                String idx = g.freshName(tr.output(0) + "_perm");
                g.initializers().put(idx, Tensor.vector(perm));
                for (Node s : shapes) {
                    String raw = g.freshName(s.output(0) + "_unpermuted");
                    added.add(new Node(s.name() + "/Permuted", "Gather", List.of(raw, idx), List.of(s.output(0))).set(Attribute.of("axis", 0L)));
                    s.inputs().set(0, x);
                    s.outputs().set(0, raw);
                }
            }
            g.nodes().remove(tr);
            g.nodes().addAll(g.nodes().indexOf(last) + 1, added);
            done++;
        }
        if (done > 0) TopoSort.sort(g);
        return done;
    }
}
