package io.nnzip.ir.canon;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Set;

/**
 * Replaces nodes whose outputs are the same on every run by initializers: the shape arithmetic exporters write
 * around {@code view} and {@code chunk} (Shape → Gather → Div → Unsqueeze → Concat) wherever it reads only static
 * dims. Pieces that read a dynamic dim (the batch size) stay, so the model keeps its dynamic axes.
 */
final class FoldStatic {
    /** Ops kept as written: quantized weights must stay quantized, randomness must stay random. */
    static final Set<String> KEEP = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "RandomNormal", "RandomUniform",
            "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Constant");
    /** Folded outputs stay small: this is for shape arithmetic and small weight chains, not for materializing big tensors. */
    static final int MAX_ELEMENTS = 1 << 16;

    private FoldStatic() {}

    static int apply(Graph g, StaticValues sv) { return apply(g, sv, false); }

    /**
     * {@code forTraining}: only values not computed from a float initializer (the shape arithmetic, not the weights:
     * those are a training tape's live parameters) are folded, each into a Constant node, since the tape keeps its
     * own initializers.
     */
    static int apply(Graph g, StaticValues sv, boolean forTraining) {
        int n = 0;
        // values computed from a kept op (a DequantizeLinear of int8 weights) stay computed, or folding what
        // reads them would turn quantized weights back into float ones
        Set<String> fromKept = new java.util.HashSet<>();
        if (forTraining)
            g.initializers().forEach((name, t) -> {
                if (t.dtype().isFloating()) fromKept.add(name);
            });
        for (Node node : io.nnzip.ir.TopoSort.order(g.nodes())) {
            // a shape is not the values it was read from
            boolean shapeOnly = node.domain().isEmpty() && (node.opType().equals("Shape") || node.opType().equals("Size"));
            // a Constant node stays one, but what reads it may fold
            boolean kept = KEEP.contains(node.opType()) && !node.opType().equals("Constant") || !node.domain().isEmpty()
                    || !shapeOnly && node.inputs().stream().anyMatch(fromKept::contains);
            if (kept) fromKept.addAll(node.outputs());
        }
        for (Node node : List.copyOf(g.nodes())) {
            if (node.outputs().isEmpty() || fromKept.contains(node.output(0)) || hasSubgraph(node) || node.opType().equals("Constant")) continue;
            Tensor[] vals = new Tensor[node.outputs().size()];
            boolean ok = !node.outputs().isEmpty();
            for (int i = 0; i < vals.length && ok; i++) {
                String o = node.output(i);
                if (o.isEmpty()) continue;
                vals[i] = sv.constant(o);
                ok = vals[i] != null && vals[i].size() <= MAX_ELEMENTS && !g.outputNames().contains(o);
            }
            if (!ok) continue;
            int at = g.nodes().indexOf(node);
            g.nodes().remove(at);
            for (int i = 0; i < vals.length; i++) {
                if (vals[i] == null) continue;
                if (forTraining) g.nodes().add(at, new Node(node.output(i), "Constant", List.of(), List.of(node.output(i))).set(Attribute.of("value", vals[i])));
                else g.initializers().put(node.output(i), vals[i]);
            }
            n++;
        }
        return n;
    }

    private static boolean hasSubgraph(Node n) {
        for (Attribute a : n.attributes().values()) if (a.type() == Attribute.Type.GRAPH || a.type() == Attribute.Type.GRAPHS) return true;
        return false;
    }
}
