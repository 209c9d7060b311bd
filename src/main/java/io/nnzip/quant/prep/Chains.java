package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Single-reader tests for matching op chains in a graph ({@code consumers} and graph outputs {@code outs} computed once
 * by the caller): a rewrite may replace a chain only when nothing outside it reads its intermediate values.
 */
final class Chains {
    private Chains() {}

    /** A standard-domain node of this op type. */
    static boolean isOp(Node n, String op) { return n != null && n.opType().equals(op) && n.domain().isEmpty(); }

    /** {@code p} when its single output is read only by {@code reader} (and is no graph output), else null. */
    static Node only(Map<String, List<Node>> consumers, Set<String> outs, Node p, Node reader) {
        if (p == null || reader == null || p.outputs().size() != 1 || outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.size() == 1 && cs.get(0) == reader ? p : null;
    }

    /** As {@link #only}, but other readers that take only the shape (Shape nodes) are allowed. */
    static Node onlyValues(Map<String, List<Node>> consumers, Set<String> outs, Node p, Node reader) {
        if (p == null || reader == null || p.outputs().size() != 1 || outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.contains(reader) && cs.stream().allMatch(c -> c == reader || isOp(c, "Shape")) ? p : null;
    }

    /** The one reader of {@code p}'s output (which is no graph output), or null. */
    static Node single(Map<String, List<Node>> consumers, Set<String> outs, Node p) {
        if (p == null || outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.size() == 1 ? cs.get(0) : null;
    }

    /** As {@link #single}, but other readers that take only the shape (Shape nodes) are allowed beside it. */
    static Node singleValues(Map<String, List<Node>> consumers, Set<String> outs, Node p) {
        if (p == null || outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of()), values = cs.stream().filter(c -> !isOp(c, "Shape")).toList();
        return values.size() == 1 ? values.get(0) : null;
    }

    /**
     * The Add that adds a constant vector of {@code n} floats (rank ≤ 1) to a linear layer's output, as exporters
     * write a Linear's bias, when it is that output's only reader and the output is no graph output; else null.
     */
    static Node biasAdd(Graph g, Map<String, List<Node>> consumers, Set<String> outs, Node layer, int n) {
        Node add = single(consumers, outs, layer);
        if (!isOp(add, "Add")) return null;
        Tensor b = g.initializer(add.input(biasInput(add, layer)));
        return b != null && b.dtype().isFloating() && b.rank() <= 1 && b.size() == n ? add : null;
    }

    /** Which input of {@link #biasAdd}'s Add is the bias. */
    static int biasInput(Node add, Node layer) { return add.input(0).equals(layer.output(0)) ? 1 : 0; }
}
