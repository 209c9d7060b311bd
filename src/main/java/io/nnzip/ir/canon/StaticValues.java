package io.nnzip.ir.canon;

import io.nnzip.ir.Tensor;

/**
 * What is known of a graph's values before it runs, whatever its dynamic dims (a batch size) turn out to be.
 * The engine computes it ({@code io.nnzip.engine.Canonical}); {@code ir} only reads it, so it stays the lowest layer.
 */
public interface StaticValues {
    /** The value's contents when every run computes the same tensor, else null. */
    Tensor constant(String value);

    /** The value's shape, with -1 for dims that follow a dynamic input dim; null when unknown. */
    int[] shape(String value);

    /** Nothing known: shape subgraphs stay as they are. */
    StaticValues NONE = new StaticValues() {
        @Override
        public Tensor constant(String value) { return null; }

        @Override
        public int[] shape(String value) { return null; }
    };
}
