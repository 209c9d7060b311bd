package io.nnzip.prune.criteria;

import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;
import java.util.SplittableRandom;

/** Uniformly random importance from a seed: the baseline every criterion should beat. */
public final class RandomCriterion implements ChannelCriterion {
    private final long seed;

    public RandomCriterion(long seed) { this.seed = seed; }

    @Override
    public String name() { return "random"; }

    @Override
    public double[] score(Dependencies deps, CoupledGroups groups) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] s = new double[groups.components.size()];
        for (int i = 0; i < s.length; i++) s[i] = r.nextDouble();
        return s;
    }
}
