package io.nnzip.prune;

import io.nnzip.ir.Model;

/** Top-1 accuracy of a model on held-out data, in percent. */
@FunctionalInterface
public interface Accuracy {
    double of(Model m);
}
