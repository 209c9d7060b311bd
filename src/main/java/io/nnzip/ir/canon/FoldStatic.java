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

    static int apply(Graph g, StaticValues sv) {
        int n = 0;
        // values computed from a kept op (a DequantizeLinear of int8 weights) stay computed, or folding what
        // reads them would turn quantized weights back into float ones
        Set<String> fromKept = new java.util.HashSet<>();
        for (Node node : io.nnzip.ir.TopoSort.order(g.nodes())) {
            boolean kept = KEEP.contains(node.opType()) || !node.domain().isEmpty() || node.inputs().stream().anyMatch(fromKept::contains);
            if (kept) fromKept.addAll(node.outputs());
        }
        for (Node node : List.copyOf(g.nodes())) {
            if (node.outputs().isEmpty() || fromKept.contains(node.output(0)) || hasSubgraph(node)) continue;
            Tensor[] vals = new Tensor[node.outputs().size()];
            boolean ok = !node.outputs().isEmpty();
            for (int i = 0; i < vals.length && ok; i++) {
                String o = node.output(i);
                if (o.isEmpty()) continue;
                vals[i] = sv.constant(o);
                ok = vals[i] != null && vals[i].size() <= MAX_ELEMENTS && !g.outputNames().contains(o);
            }
            if (!ok) continue;
            for (int i = 0; i < vals.length; i++) if (vals[i] != null) g.initializers().put(node.output(i), vals[i]);
            g.nodes().remove(node);
            n++;
        }
        return n;
    }

    private static boolean hasSubgraph(Node n) {
        for (Attribute a : n.attributes().values()) if (a.type() == Attribute.Type.GRAPH || a.type() == Attribute.Type.GRAPHS) return true;
        return false;
    }
}
