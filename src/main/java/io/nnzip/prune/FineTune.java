package io.nnzip.prune;

import io.nnzip.ir.Model;

/**
 * Retrains a pruned model for a few epochs. Implementations must keep every weight in {@code masks} at zero
 * (masks are empty after structured pruning, where removed weights no longer exist).
 */
@FunctionalInterface
public interface FineTune {
    Model tune(Model m, int epochs, WeightMasks masks);
}
