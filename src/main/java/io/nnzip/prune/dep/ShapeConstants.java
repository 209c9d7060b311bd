package io.nnzip.prune.dep;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds where one entry of a shape tensor (the second input of a Reshape) is stored, so a pruning plan can
 * rewrite a channel count. Exporters build shapes as an initializer or as {@code Concat(axis=0)} of a dynamic
 * batch piece and constant pieces; both are traced. Constant nodes are hoisted to initializers first
 * ({@link #hoistConstants}) so there is one kind of constant to edit.
 */
public final class ShapeConstants {
    /** Entry {@code index} of initializer {@code init}; {@code exclusive} when nothing else reads the path. */
    public record Loc(String init, int index, boolean exclusive) {}

    private ShapeConstants() {}

    /**
     * Where entry {@code position} of {@code shapeValue} lives: a Loc, or null when the entry is computed at run
     * time (a batch size read through Shape), or throws {@link IllegalArgumentException} when it cannot be traced.
     */
    public static Loc locate(Graph g, Map<String, Node> producers, Map<String, List<Node>> consumers, Map<String, int[]> shapes,
                             String shapeValue, int position) {
        boolean exclusive = consumers.getOrDefault(shapeValue, List.of()).size() <= 1;
        String cur = shapeValue;
        int pos = position;
        while (true) {
            Tensor t = g.initializer(cur);
            if (t != null) return new Loc(cur, pos, exclusive && consumers.getOrDefault(cur, List.of()).size() <= 1);
            Node p = producers.get(cur);
            if (p == null || !p.opType().equals("Concat") || p.attrInt("axis", 0) != 0)
                throw new IllegalArgumentException("shape '" + shapeValue + "' is not a constant or a Concat of constants");
            String next = null;
            for (String in : p.inputs()) {
                int[] s = shapes.get(in);
                if (s == null || s.length != 1) throw new IllegalArgumentException("shape piece '" + in + "' has unknown length");
                if (pos < s[0]) {
                    next = in;
                    break;
                }
                pos -= s[0];
            }
            if (next == null) throw new IllegalArgumentException("shape '" + shapeValue + "' is shorter than " + (position + 1));
            if (g.initializer(next) == null && producers.get(next) != null && !producers.get(next).opType().equals("Concat")) return null;
            exclusive &= consumers.getOrDefault(next, List.of()).size() <= 1;
            cur = next;
        }
    }

    /** The value stored at {@code loc}. */
    public static long read(Graph g, Loc loc) { return g.initializer(loc.init()).getLong(loc.index()); }

    /** Replaces constant-producing nodes ({@code Constant} with a {@code value} tensor) by initializers. */
    public static int hoistConstants(Graph g) {
        List<Node> gone = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Constant") || !n.has("value") || n.attr("value").type() != Attribute.Type.TENSOR) continue;
            if (g.isInitializer(n.output(0))) continue;
            g.initializers().put(n.output(0), n.attrTensor("value"));
            gone.add(n);
        }
        g.nodes().removeAll(gone);
        return gone.size();
    }

    /** Writes {@code value} at {@code loc} (a new tensor; the old one may be shared by the caller's copies). */
    public static void write(Graph g, Loc loc, long value) {
        Tensor t = g.initializer(loc.init());
        Tensor c = t.copy();
        switch (c.data()) {
            case long[] l -> l[loc.index()] = value;
            case int[] i -> i[loc.index()] = (int) value;
            default -> throw new IllegalArgumentException("shape tensor '" + loc.init() + "' is " + t.dtype().lower());
        }
        g.initializers().put(loc.init(), c);
    }
}
