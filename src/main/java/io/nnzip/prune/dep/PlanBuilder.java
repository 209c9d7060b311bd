package io.nnzip.prune.dep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Turns a choice of components to remove into a {@link PrunePlan}: per-entity indices and the follow-up edits. */
public final class PlanBuilder {
    private PlanBuilder() {}

    public static PrunePlan build(Dependencies deps, CoupledGroups groups, Collection<Integer> removedComponents) {
        Map<Integer, List<Integer>> perEntity = new HashMap<>();
        for (int cid : removedComponents) {
            CoupledGroups.Component c = groups.components.get(cid);
            if (!c.prunable()) throw new IllegalArgumentException("component " + cid + " is pinned: " + c.blockedBy());
            for (int[] m : c.members()) perEntity.computeIfAbsent(m[0], k -> new ArrayList<>()).add(m[1]);
        }
        PrunePlan p = new PrunePlan();
        Map<String, Integer> removedCount = new HashMap<>();
        for (Entity e : deps.channels.entities()) {
            List<Integer> idx = perEntity.get(e.id());
            if (idx == null || idx.isEmpty()) continue;
            int[] a = idx.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
            if (a.length >= e.size()) throw new IllegalArgumentException(e.key() + " would lose all " + e.size() + " channels");
            if (e.kind() == ChannelGraph.Kind.VALUE) p.removedValues.put(e.name(), a);
            else p.removedTensors.put(e.key(), a);
            if (e.kind() == ChannelGraph.Kind.VALUE) removedCount.put(e.name(), a.length);
        }
        Graph g = deps.model.graph();
        for (Dependencies.ShapeEdit s : deps.shapeEdits) {
            int r = removedCount.getOrDefault(s.value(), 0);
            if (r == 0) continue;
            if (r % s.divisor() != 0) throw new IllegalStateException("shuffle at " + s.reshapeOutput() + " lost " + r + " channels, not a multiple of " + s.divisor());
            p.shapeValues.add(new PrunePlan.ShapeValue(s.loc().init(), s.loc().index(), ShapeConstants.read(g, s.loc()) - r / s.divisor()));
        }
        for (Node n : deps.channelSplits) {
            boolean changed = false;
            long[] sizes = new long[n.outputs().size()];
            int axis = (int) n.attrInt("axis", 0);
            if (axis < 0) axis += deps.shapes.get(n.input(0)).length;
            for (int i = 0; i < sizes.length; i++) {
                String o = n.output(i);
                int c = deps.shapes.get(o)[axis];
                int r = removedCount.getOrDefault(o, 0);
                sizes[i] = c - r;
                changed |= r > 0;
            }
            if (changed) p.splitSizes.put(n.output(0), sizes);
        }
        for (Node n : deps.depthwise) {
            int r = removedCount.getOrDefault(n.output(0), 0);
            if (r > 0) p.convGroups.put(n.output(0), (long) deps.shapes.get(n.output(0))[1] - r);
        }
        return p;
    }
}
