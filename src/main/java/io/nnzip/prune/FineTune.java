package io.nnzip.prune;

import io.nnzip.ir.Model;
import java.util.Map;

/**
 * Retrains a pruned model for a few epochs. Implementations must keep every weight in {@code masks} at zero
 * (masks are empty after structured pruning, where removed weights no longer exist).
 */
@FunctionalInterface
public interface FineTune {
    Model tune(Model m, int epochs, WeightMasks masks);

    /** Re-prunes during training: given step k and the live weights by name, updates the masks in place. */
    @FunctionalInterface
    interface Reprune {
        void at(int step, Map<String, float[]> weights, WeightMasks masks);
    }

    /**
     * Fine-tunes while pruning gradually: once {@code shares[i]} of the run has trained, {@code reprune} is called for
     * step i + 2 (step 1 pruned before) and training goes on under the grown masks. This fallback, for trainers
     * that cannot stop midway, prunes all steps first and then trains.
     */
    default Model tune(Model m, int epochs, WeightMasks masks, double[] shares, Reprune reprune) {
        Model t = m.copy();
        for (int i = 0; i < shares.length; i++) {
            Map<String, float[]> w = new java.util.LinkedHashMap<>();
            for (String n : masks.all().keySet()) w.put(n, t.graph().initializer(n).toFloats());
            reprune.at(i + 2, w, masks);
            masks.apply(t.graph());
        }
        return tune(t, epochs, masks);
    }
}
