package io.nnzip.lowrank;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The small graph edits every factorization and redesign shares: put a chain of nodes where one node was (so
 * topological order holds), add weights under fresh names, and emit convolutions with explicit attributes.
 */
public final class GraphRewrites {
    private GraphRewrites() {}

    /** Replaces {@code old} by {@code chain} at the same position; the chain must end in old's output name. */
    public static void replace(Graph g, Node old, List<Node> chain) { io.nnzip.ir.GraphEdits.replaceNode(g, old, chain); }

    /** Adds {@code t} as an initializer under a fresh name based on {@code base}; returns the name. */
    public static String addWeight(Graph g, String base, Tensor t) {
        String n = g.freshName(base);
        g.initializers().put(n, t);
        return n;
    }

    /** A 2-D Conv node; {@code bias} may be null. */
    public static Node conv(String name, String x, String w, String bias, String y, int kh, int kw, long[] strides, long[] pads,
                            long[] dilations, long group) {
        List<String> in = new ArrayList<>(List.of(x, w));
        if (bias != null) in.add(bias);
        Node n = new Node(name, "Conv", in, List.of(y));
        n.set(Attribute.of("dilations", dilations.clone()));
        n.set(Attribute.of("group", group));
        n.set(Attribute.of("kernel_shape", (long) kh, (long) kw));
        n.set(Attribute.of("pads", pads.clone()));
        n.set(Attribute.of("strides", strides.clone()));
        return n;
    }

    /** A 1×1 convolution with stride 1 and no padding: a per-pixel linear map of channels. */
    public static Node pointwise(String name, String x, String w, String bias, String y) {
        return conv(name, x, w, bias, y, 1, 1, new long[] {1, 1}, new long[4], new long[] {1, 1}, 1);
    }

    /** Fresh names for a layer's new nodes and intermediate values, derived from the layer's name. */
    public static final class Names {
        private final Graph g;
        private final String base;
        private final List<String> taken = new ArrayList<>();

        public Names(Graph g, String base) {
            this.g = g;
            this.base = base;
        }

        public String next(String suffix) {
            String n = g.freshName(base + "_" + suffix);
            for (int i = 1; taken.contains(n); i++) n = g.freshName(base + "_" + suffix + "_" + i);
            taken.add(n);
            return n;
        }
    }
}
