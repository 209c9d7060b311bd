package io.nnzip.ir.canon;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Slices with constant bounds that together cut one axis of a tensor into consecutive pieces become one
 * {@code Split}: PyTorch writes {@code x.chunk(2, dim=1)} as two Slices whose bounds it computes from
 * {@code x.shape}; once those bounds are folded the Split says the same thing in the form passes reason about.
 */
final class SlicesToSplit {
    private record Piece(Node slice, int axis, long start, long end) {}

    private SlicesToSplit() {}

    static int apply(Graph g, StaticValues sv, int opset) {
        if (opset < 10) return 0; // Slice took attributes before opset 10; exporters of interest write the input form
        Map<String, List<Piece>> byInput = new LinkedHashMap<>();
        Map<String, Boolean> usable = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Slice") || !n.domain().isEmpty()) continue;
            Piece p = piece(g, sv, n);
            usable.merge(n.input(0), p != null, Boolean::logicalAnd);
            if (p != null) byInput.computeIfAbsent(n.input(0), k -> new ArrayList<>()).add(p);
        }
        int made = 0;
        for (Map.Entry<String, List<Piece>> e : byInput.entrySet()) {
            if (!usable.get(e.getKey()) || e.getValue().size() < 2) continue;
            if (replace(g, sv, opset, e.getKey(), e.getValue())) made++;
        }
        return made;
    }

    /** The slice as [start, end) on one axis, clamped to the axis; null unless its bounds are constants and its step is 1. */
    private static Piece piece(Graph g, StaticValues sv, Node n) {
        int[] shape = sv.shape(n.input(0));
        if (shape == null || !g.isInitializer(n.input(1)) || !g.isInitializer(n.input(2))) return null;
        long[] starts = g.initializer(n.input(1)).toLongs(), ends = g.initializer(n.input(2)).toLongs();
        if (starts.length != 1 || ends.length != 1) return null;
        int axis = 0;
        if (n.hasInput(3)) {
            if (!g.isInitializer(n.input(3))) return null;
            long[] axes = g.initializer(n.input(3)).toLongs();
            if (axes.length != 1) return null;
            axis = (int) (axes[0] < 0 ? axes[0] + shape.length : axes[0]);
        }
        if (n.hasInput(4) && (!g.isInitializer(n.input(4)) || g.initializer(n.input(4)).getLong(0) != 1)) return null;
        if (axis < 0 || axis >= shape.length || shape[axis] <= 0) return null;
        long dim = shape[axis];
        return new Piece(n, axis, clamp(starts[0], dim), clamp(ends[0], dim));
    }

    private static long clamp(long v, long dim) {
        if (v < 0) v += dim;
        return Math.max(0, Math.min(dim, v));
    }

    private static boolean replace(Graph g, StaticValues sv, int opset, String x, List<Piece> pieces) {
        List<Piece> ps = new ArrayList<>(pieces);
        ps.sort(Comparator.comparingLong(Piece::start));
        int axis = ps.get(0).axis();
        long at = 0;
        for (Piece p : ps) {
            if (p.axis() != axis || p.start() != at || p.end() <= p.start()) return false;
            at = p.end();
        }
        if (at != sv.shape(x)[axis]) return false;
        long[] sizes = ps.stream().mapToLong(p -> p.end() - p.start()).toArray();
        List<String> outs = ps.stream().map(p -> p.slice().output(0)).toList();
        List<String> ins = new ArrayList<>(List.of(x));
        Node split = new Node(g.freshName(x + "_split"), "Split", ins, outs);
        split.set(Attribute.of("axis", (long) axis));
        if (opset < 13) split.set(Attribute.of("split", sizes));
        else {
            String s = g.freshName(x + "_split_sizes");
            g.initializers().put(s, Tensor.vector(sizes));
            split.inputs().add(s);
        }
        int first = g.nodes().size();
        for (Piece p : ps) first = Math.min(first, g.nodes().indexOf(p.slice()));
        g.nodes().add(first, split);
        for (Piece p : ps) g.nodes().remove(p.slice());
        return true;
    }
}
