package io.nnzip.codec.rd;

import io.nnzip.ir.Model;

/** Measures a model's accuracy (0..1) on some fixed data; what {@code --max-drop} keeps within bound. */
@FunctionalInterface
public interface AccuracyProbe {
    double accuracy(Model m);
}
