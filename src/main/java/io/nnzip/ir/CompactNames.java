package io.nnzip.ir;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renames a graph's intermediate values, initializers and nodes to short names (v0, v1, …, w0, w1, … and n0, n1, …);
 * graph inputs and outputs stay. Exporters name every edge and node after its module path
 * ("/blocks.0/attn/Reshape_1_output_0"), and each name is stored once per reader: in a 4-bit model those names weigh
 * a tenth of the file, and node names alone ~1 KB of a 25 KB deep-compressed ViT stream.
 */
public final class CompactNames {
    private CompactNames() {}

    /** Renames in place; returns how many names changed. */
    public static int apply(Graph g) {
        Set<String> keep = new HashSet<>(g.outputNames());
        for (ValueInfo v : g.inputs()) if (!g.isInitializer(v.name())) keep.add(v.name());
        Set<String> used = g.usedNames();
        Map<String, String> ren = new HashMap<>();
        int[] counter = {0, 0, 0};
        for (String w : List.copyOf(g.initializers().keySet())) if (!keep.contains(w)) ren.put(w, next(used, "w", counter, 0));
        for (Node n : g.nodes()) for (String o : n.outputs()) if (!o.isEmpty() && !keep.contains(o)) ren.put(o, next(used, "v", counter, 1));
        int nodes = 0;
        for (Node n : g.nodes())
            if (n.name().length() > 3) { // names of up to 3 characters are short already
                n.setName(next(used, "n", counter, 2));
                nodes++;
            }
        if (ren.isEmpty()) return nodes;
        Map<String, Tensor> inits = new java.util.LinkedHashMap<>();
        g.initializers().forEach((k, v) -> inits.put(ren.getOrDefault(k, k), v));
        g.initializers().clear();
        g.initializers().putAll(inits);
        for (Node n : g.nodes()) {
            n.inputs().replaceAll(x -> ren.getOrDefault(x, x));
            n.outputs().replaceAll(x -> ren.getOrDefault(x, x));
        }
        g.inputs().replaceAll(v -> ren.containsKey(v.name()) ? v.withName(ren.get(v.name())) : v);
        Map<String, ValueInfo> vi = new java.util.LinkedHashMap<>();
        g.valueInfo().forEach((k, v) -> vi.put(ren.getOrDefault(k, k), ren.containsKey(k) ? v.withName(ren.get(k)) : v));
        g.valueInfo().clear();
        g.valueInfo().putAll(vi);
        return ren.size() + nodes;
    }

    private static String next(Set<String> used, String prefix, int[] counter, int which) {
        String s;
        do s = prefix + counter[which]++; while (used.contains(s));
        return s;
    }
}
