package io.nnzip.prune.criteria;

import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.Dependencies;

/** Importance of each coupled component (higher = keep). Pinned components may get any score; they are never removed. */
public interface ChannelCriterion {
    String name();

    double[] score(Dependencies deps, CoupledGroups groups);
}
