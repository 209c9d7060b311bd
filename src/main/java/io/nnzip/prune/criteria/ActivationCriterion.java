package io.nnzip.prune.criteria;

import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ChannelGraph;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import io.nnzip.prune.dep.ValueProbe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Data-driven importance from feature maps on calibration batches (run in ONNX Runtime with the maps exposed):
 * <ul>
 *   <li>{@code apoz}: 1 − the average percentage of zeros after the activation (Hu et al. 2016, "network trimming");</li>
 *   <li>{@code mean-activation}: mean |activation| of the channel (Molchanov et al. 2017's simplest criterion);</li>
 *   <li>{@code hrank}: average matrix rank of the channel's H×W maps (Lin et al. 2020, HRank).</li>
 * </ul>
 * Scores are read on the values produced by activation functions in the component's group (what these criteria
 * are defined on), or on all its values when the group has none. A channel that appears several times (before
 * and after a depthwise conv, or along a residual stream) scores as its weakest appearance: a channel that is dead
 * at one point carries nothing past it.
 */
public final class ActivationCriterion implements ChannelCriterion {
    public enum Kind { APOZ, MEAN, HRANK }

    static final Set<String> ACTIVATIONS = Set.of("Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid", "Elu", "Selu", "Gelu", "Mish", "Softplus");

    private final Kind kind;
    private final Iterable<Map<String, Tensor>> calibration;

    public ActivationCriterion(Kind kind, Iterable<Map<String, Tensor>> calibration) {
        this.kind = kind;
        this.calibration = calibration;
    }

    @Override
    public String name() { return switch (kind) { case APOZ -> "apoz"; case MEAN -> "mean-activation"; case HRANK -> "hrank"; }; }

    @Override
    public double[] score(Dependencies deps, CoupledGroups groups) {
        Map<String, Node> producers = deps.model.graph().producers();
        Set<Integer> probed = new HashSet<>();
        for (CoupledGroups.Group g : groups.groups) {
            if (g.prunable().isEmpty()) continue;
            List<Entity> values = g.entities().stream().filter(e -> e.kind() == ChannelGraph.Kind.VALUE && producers.containsKey(e.name())).toList();
            List<Entity> act = values.stream().filter(e -> ACTIVATIONS.contains(producers.get(e.name()).opType())).toList();
            for (Entity e : act.isEmpty() ? values : act) probed.add(e.id());
        }
        List<String> names = new ArrayList<>();
        for (int id : probed) if (!names.contains(deps.channels.entities().get(id).name())) names.add(deps.channels.entities().get(id).name());
        Map<Integer, ChannelStats> stats = new HashMap<>();
        for (Map<String, Tensor> feeds : calibration) {
            Map<String, Tensor> out = ValueProbe.run(deps.model, names, feeds);
            for (int id : probed) {
                Entity e = deps.channels.entities().get(id);
                stats.computeIfAbsent(id, k -> new ChannelStats(e.size())).add(out.get(e.name()), e.axis(), kind == Kind.HRANK);
            }
        }
        double[] s = new double[groups.components.size()];
        for (CoupledGroups.Component c : groups.components) {
            // a transformer head has many features in one value: they score together (their mean), and the
            // component as its weakest appearance across values
            Map<Integer, double[]> perEntity = new HashMap<>();
            for (int[] m : c.members()) {
                ChannelStats st = probed.contains(m[0]) ? stats.get(m[0]) : null;
                if (st == null) continue;
                double v = switch (kind) {
                    case APOZ -> 1 - st.zeroFraction(m[1]);
                    case MEAN -> st.meanAbs(m[1]);
                    case HRANK -> st.meanRank(m[1]);
                };
                double[] acc = perEntity.computeIfAbsent(m[0], k -> new double[2]);
                acc[0] += v;
                acc[1]++;
            }
            double min = Double.POSITIVE_INFINITY;
            for (double[] acc : perEntity.values()) min = Math.min(min, acc[0] / acc[1]);
            s[c.id()] = Double.isInfinite(min) ? 0 : min;
        }
        return s;
    }
}
