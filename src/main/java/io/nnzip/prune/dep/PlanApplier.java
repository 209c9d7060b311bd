package io.nnzip.prune.dep;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Replays a {@link PrunePlan} on a copy of the model it was made for: slices weights, rewrites shape constants,
 * split sizes and depthwise group counts, and drops intermediate type annotations whose shapes changed.
 */
public final class PlanApplier {
    private PlanApplier() {}

    public static Model apply(Model original, PrunePlan plan) {
        Model m = original.copy();
        Graph g = m.graph();
        PruneForm.apply(m);
        for (Map.Entry<String, int[]> e : plan.removedTensors.entrySet()) {
            int at = e.getKey().lastIndexOf('@');
            String name = e.getKey().substring(0, at);
            int axis = Integer.parseInt(e.getKey().substring(at + 1));
            Tensor t = g.initializer(name);
            if (t == null) throw new NnzipException("plan removes slices of '" + name + "', which the model does not have");
            g.initializers().put(name, TensorSlicing.remove(t, axis, e.getValue()));
        }
        for (PrunePlan.ShapeValue s : plan.shapeValues) ShapeConstants.write(g, new ShapeConstants.Loc(s.init(), s.index(), true), s.value());
        Map<String, Node> producers = g.producers();
        Set<String> replaced = new HashSet<>();
        for (Map.Entry<String, long[]> e : plan.splitSizes.entrySet()) {
            Node n = need(producers, e.getKey(), "Split");
            setSplitSizes(g, m.opset(), n, e.getValue(), replaced);
        }
        for (Map.Entry<String, Long> e : plan.convGroups.entrySet()) need(producers, e.getKey(), "Conv").set(Attribute.of("group", (long) e.getValue()));
        Set<String> io = new HashSet<>(g.outputNames());
        g.inputs().forEach(v -> io.add(v.name()));
        g.valueInfo().keySet().removeIf(k -> !io.contains(k));
        Map<String, java.util.List<Node>> consumers = g.consumers();
        for (String r : replaced) if (!consumers.containsKey(r) && !io.contains(r)) g.initializers().remove(r);
        GraphEdits.reshare(g); // what the per-reader copies left equal is one tensor again, as the exporter wrote it
        return m;
    }

    private static Node need(Map<String, Node> producers, String output, String op) {
        Node n = producers.get(output);
        if (n == null || !n.opType().equals(op)) throw new NnzipException("plan edits a " + op + " producing '" + output + "', which the model does not have");
        return n;
    }

    /** Gives a Split explicit sizes in the form its opset takes, in a fresh initializer (the old one may be shared). */
    private static void setSplitSizes(Graph g, int opset, Node n, long[] sizes, Set<String> replaced) {
        n.attributes().remove("num_outputs");
        if (opset < 13) {
            n.set(Attribute.of("split", sizes));
            return;
        }
        String name = g.freshName(n.output(0) + "_split");
        g.initializers().put(name, Tensor.vector(sizes));
        if (n.hasInput(1)) replaced.add(n.input(1));
        while (n.inputs().size() < 2) n.inputs().add("");
        n.inputs().set(1, name);
    }
}
