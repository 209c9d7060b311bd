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

    /**
     * {accuracy, standard error of the accuracy difference to the reference} of {@code m}: the error of a paired
     * comparison on the same images, sqrt((d − δ²)/n) with d the share of images exactly one of the two models gets
     * right and δ the accuracy difference. This default knows no per-image outcomes and reports no error.
     */
    default double[] paired(Model m) { return new double[] {accuracy(m), 0}; }
}
