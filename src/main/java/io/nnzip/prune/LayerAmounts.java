package io.nnzip.prune;

import io.nnzip.ir.Graph;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-layer unstructured amounts, {@code KEY=AMOUNT,...}: KEY is a weight tensor's name or a layer role, {@code first}
 * (the layer that reads the input), {@code last} (the classifier) or {@code largest} (the weight with the most
 * elements, first in graph order on a tie: a CNN's first fully connected layer, which holds most of the bytes).
 * Roles let one recipe treat every model's sensitive ends gently, as Han et al. prune LeNet-300-100's classifier to
 * 74 % but its hidden layers to 91-92 %, and cut the largest layer hardest. When roles name the same weight,
 * {@code largest} beats {@code last}, which beats {@code first}; a weight's own name beats every role.
 */
public final class LayerAmounts {
    private LayerAmounts() {}

    /** KEY to amount, in the order given; empty for null or blank. */
    public static Map<String, Double> parse(String spec) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return out;
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new NnzipException("--layer-amounts needs KEY=AMOUNT pairs (KEY: first, last, largest or a weight name), not '" + part + "'");
            double a;
            try {
                a = Double.parseDouble(part.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new NnzipException("--layer-amounts: '" + part + "' has no numeric amount");
            }
            if (!(a >= 0 && a < 1)) throw new NnzipException("--layer-amounts: amount of '" + part.substring(0, eq) + "' must be in [0, 1), got " + a);
            out.put(part.substring(0, eq).trim(), a);
        }
        return out;
    }

    /** The amounts by weight tensor name: roles resolved on {@code g}; a name beats a role. */
    public static Map<String, Double> resolve(Map<String, Double> spec, Graph g) {
        List<String> weights = inGraphOrder(g);
        Map<String, Double> out = new LinkedHashMap<>();
        if (weights.isEmpty()) return out;
        if (spec.containsKey("first")) out.put(weights.getFirst(), spec.get("first"));
        if (spec.containsKey("last")) out.put(weights.getLast(), spec.get("last"));
        if (spec.containsKey("largest")) {
            String big = weights.getFirst();
            for (String w : weights) if (g.initializer(w).size() > g.initializer(big).size()) big = w;
            out.put(big, spec.get("largest"));
        }
        for (Map.Entry<String, Double> e : spec.entrySet()) {
            if (e.getKey().equals("first") || e.getKey().equals("last") || e.getKey().equals("largest")) continue;
            if (!weights.contains(e.getKey()))
                throw new NnzipException("--layer-amounts: no prunable weight '" + e.getKey() + "' (weights: " + String.join(", ", weights) + ")");
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * The first prunable weight when a Conv reads it — a CNN's stem, a ViT's patch embedding: a short reduction over
     * raw pixels (16 to 49 values for 1-channel 4×4 to 7×7 patches) that every later layer's input passes through,
     * which N:M recipes commonly leave dense (2:4 there cost a trained ViT 1.8 of the 3.2 points it lost) — else null.
     */
    public static String stemConv(Graph g) {
        List<String> weights = inGraphOrder(g);
        if (weights.isEmpty()) return null;
        String w = weights.getFirst();
        for (Node n : g.nodes()) if (n.opType().equals("Conv") && n.inputs().size() > 1 && n.input(1).equals(w)) return w;
        return null;
    }

    /** Prunable weights in execution order, so first and last mean what the data passes through first and last. */
    static List<String> inGraphOrder(Graph g) {
        List<String> all = UnstructuredPruner.weightTensors(g), out = new ArrayList<>();
        for (Node n : TopoSort.order(g.nodes()))
            for (String in : n.inputs()) if (all.contains(in) && !out.contains(in)) out.add(in);
        return out;
    }
}
