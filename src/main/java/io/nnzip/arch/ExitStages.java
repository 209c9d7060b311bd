package io.nnzip.arch;

import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits an anytime model into stages: stage i holds the nodes needed for output i that no earlier stage
 * computed. Running stages in order and stopping after stage i costs exactly the MACs of stages 0..i, which is
 * what both the accuracy/MAC curve and the early-exit runner use.
 */
public final class ExitStages {
    public final List<List<Node>> stages = new ArrayList<>();
    /** MACs per image of stages 0..i together. */
    public final long[] cumulativeMacs;
    public final List<String> exits;

    public ExitStages(Model m) {
        Graph g = m.graph();
        exits = g.outputNames();
        Map<String, Node> producers = g.producers();
        Set<Node> assigned = new HashSet<>();
        List<Node> order = TopoSort.order(g.nodes());
        Map<Node, Integer> pos = new HashMap<>();
        for (int i = 0; i < order.size(); i++) pos.put(order.get(i), i);
        for (String out : exits) {
            Set<Node> need = new LinkedHashSet<>();
            List<String> pending = new ArrayList<>(List.of(out));
            while (!pending.isEmpty()) {
                Node p = producers.get(pending.removeLast());
                if (p == null || assigned.contains(p) || !need.add(p)) continue;
                pending.addAll(TopoSort.allInputs(p));
            }
            List<Node> stage = new ArrayList<>(need);
            stage.sort((a, b) -> Integer.compare(pos.get(a), pos.get(b)));
            assigned.addAll(stage);
            stages.add(stage);
        }
        Map<String, Long> macsByNode = new HashMap<>();
        for (ModelStats.LayerStat l : ModelStats.of(m).layers) macsByNode.put(l.node(), Math.max(0, l.macs()));
        cumulativeMacs = new long[stages.size()];
        long acc = 0;
        for (int i = 0; i < stages.size(); i++) {
            for (Node n : stages.get(i)) acc += macsByNode.getOrDefault(n.name().isEmpty() ? n.output(0) : n.name(), 0L);
            cumulativeMacs[i] = acc;
        }
    }

    /** Values each stage must receive from earlier stages or the graph inputs (initializers excluded). */
    public List<Set<String>> stageInputs(Graph g) {
        List<Set<String>> res = new ArrayList<>();
        for (List<Node> st : stages) {
            Set<String> produced = new HashSet<>();
            for (Node n : st) produced.addAll(n.outputs());
            Set<String> in = new LinkedHashSet<>();
            for (Node n : st) for (String v : TopoSort.allInputs(n)) if (!v.isEmpty() && !produced.contains(v) && !g.isInitializer(v)) in.add(v);
            res.add(in);
        }
        return res;
    }
}
