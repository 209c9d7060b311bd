package io.nnzip.ir;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A version stamp for in-place writes to a model's weight arrays. The engine keeps compressed rows of pruned weights
 * ({@code SparseWeights}) keyed by array identity; while the stamp has not moved since a form was last checked
 * against its array, the form is used without comparing contents, which costs as much as a fifth of a sparse layer's
 * call. Arrays are plain {@code float[]}, so no write can be seen: code that writes weights in place (an optimizer
 * step, a hook that re-masks or re-quantizes them) calls {@link #bump} before the engine runs them again. A new array
 * needs no bump (its identity is new), and neither does a model handed to a new {@code Executor} (building one bumps).
 */
public final class WeightWrites {
    private static final AtomicLong EPOCH = new AtomicLong();

    private WeightWrites() {}

    /** The current stamp; derived forms checked at this stamp are valid until the next {@link #bump}. */
    public static long epoch() { return EPOCH.get(); }

    /** Some weight array was (or is about to be) written in place: every derived form must be re-checked. */
    public static void bump() { EPOCH.incrementAndGet(); }
}
