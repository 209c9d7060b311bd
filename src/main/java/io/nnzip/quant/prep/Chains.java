package io.nnzip.quant.prep;

import io.nnzip.ir.Node;
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
}
