package io.nnzip.train;

import io.nnzip.ir.NnzipException;
import java.util.List;

/**
 * Updates parameters in place from their gradients; keeps its own per-parameter state. A step bumps
 * {@link io.nnzip.ir.WeightWrites} (the parameters are live model weights the engine caches derived forms of).
 */
public interface Optimizer {
    void step(List<Param> params, float lr);

    String describe();

    /**
     * This optimizer's state for {@code params}, in their order, as flat floats: what another instance needs, after
     * {@link #restore}, to take bit-identically the steps this one would (a copy of the optimizer restarted mid-run).
     */
    float[] state(List<Param> params);

    /** Replaces the state for {@code params} with what {@link #state} returned for the same parameters' layout. */
    void restore(List<Param> params, float[] state);

    /** "sgd", "adam" or "adamw" with the usual defaults (β = 0.9/0.999, ε = 1e-8). */
    static Optimizer create(String name, float momentum, boolean nesterov, float weightDecay) {
        return switch (name.toLowerCase()) {
            case "sgd" -> new Sgd(momentum, nesterov, weightDecay);
            case "adam" -> new Adam(0.9f, 0.999f, 1e-8f, weightDecay, false);
            case "adamw" -> new Adam(0.9f, 0.999f, 1e-8f, weightDecay, true);
            default -> throw new NnzipException("unknown optimizer '" + name + "' (use sgd, adam or adamw)");
        };
    }
}
