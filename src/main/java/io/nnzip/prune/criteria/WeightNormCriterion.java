package io.nnzip.prune.criteria;

import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import java.util.HashMap;
import java.util.Map;

/**
 * Filter norms (Li et al., "Pruning Filters for Efficient ConvNets"): a component's importance is the mean, over
 * the filters it would remove (output rows of every coupled Conv/Gemm), of each filter's L1 or L2 norm. The mean
 * (not the sum) keeps components of different reach comparable: in ShuffleNet some channels pass through many
 * blocks and others end at the next conv, and a sum would always sacrifice the short-lived ones.
 */
public final class WeightNormCriterion implements ChannelCriterion {
    private final int p;

    public WeightNormCriterion(int p) {
        if (p != 1 && p != 2) throw new IllegalArgumentException("norm must be 1 or 2");
        this.p = p;
    }

    @Override
    public String name() { return "l" + p + "-filter"; }

    @Override
    public double[] score(Dependencies deps, CoupledGroups groups) {
        Map<Integer, double[]> norms = new HashMap<>();
        for (Entity e : deps.channels.entities())
            if (deps.filterAxes.contains(e.key())) norms.put(e.id(), sliceNorms(deps.model.graph().initializer(e.name()), e.axis(), p));
        double[] s = new double[groups.components.size()];
        for (CoupledGroups.Component c : groups.components) {
            int filters = 0;
            for (int[] m : c.members()) {
                double[] n = norms.get(m[0]);
                if (n != null) {
                    s[c.id()] += n[m[1]];
                    filters++;
                }
            }
            if (filters > 0) s[c.id()] /= filters;
        }
        return s;
    }

    /** Norm of every slice of {@code t} along {@code axis}. */
    static double[] sliceNorms(Tensor t, int axis, int p) {
        int[] shape = t.shape();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] d = t.toFloats();
        double[] r = new double[shape[axis]];
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < shape[axis]; a++) {
                int base = (o * shape[axis] + a) * inner;
                double acc = 0;
                for (int i = 0; i < inner; i++) acc += p == 1 ? Math.abs(d[base + i]) : (double) d[base + i] * d[base + i];
                r[a] += acc;
            }
        if (p == 2) for (int i = 0; i < r.length; i++) r[i] = Math.sqrt(r[i]);
        return r;
    }
}
