package io.nnzip.codec.rd;

import io.nnzip.ir.Model;

/**
 * A probe that also compares a model's predictions with a reference model's on the same data: the mean
 * Kullback–Leibler divergence KL(reference ‖ model) of the softmax class distributions, in nats. Unlike accuracy it
 * moves smoothly with small weight changes, so it can measure how sensitive each layer is.
 */
public interface OutputProbe extends AccuracyProbe {
    /** Remembers {@code m}'s predictions as the reference; returns its accuracy. */
    double reference(Model m);

    /** {accuracy, mean KL divergence from the reference} of {@code m}. */
    double[] measure(Model m);
}
