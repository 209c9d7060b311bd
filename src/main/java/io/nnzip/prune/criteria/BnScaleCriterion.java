package io.nnzip.prune.criteria;

import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import java.util.HashMap;
import java.util.Map;

/**
 * Network slimming (Liu et al. 2017): a channel's importance is |gamma| of the BatchNormalization that scales
 * it, summed over coupled BNs. Meaningful after training with an L1 penalty on the BN scales; components
 * without a BatchNormalization fall back to their filters' L1 norm, and {@link #fallbacks} says how many.
 */
public final class BnScaleCriterion implements ChannelCriterion {
    public int fallbacks;

    @Override
    public String name() { return "bn-scale"; }

    @Override
    public double[] score(Dependencies deps, CoupledGroups groups) {
        Map<Integer, float[]> gammas = new HashMap<>();
        for (Entity e : deps.channels.entities())
            if (deps.bnScales.contains(e.key())) gammas.put(e.id(), deps.model.graph().initializer(e.name()).toFloats());
        double[] filters = new WeightNormCriterion(1).score(deps, groups);
        double[] s = new double[groups.components.size()];
        fallbacks = 0;
        for (CoupledGroups.Component c : groups.components) {
            boolean any = false;
            for (int[] m : c.members()) {
                float[] g = gammas.get(m[0]);
                if (g != null) {
                    s[c.id()] += Math.abs(g[m[1]]);
                    any = true;
                }
            }
            if (!any) {
                s[c.id()] = filters[c.id()];
                if (c.prunable()) fallbacks++;
            }
        }
        return s;
    }
}
