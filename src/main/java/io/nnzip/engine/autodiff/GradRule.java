package io.nnzip.engine.autodiff;

import io.nnzip.ir.Tensor;

/** The backward of one op type: gradients for the node's inputs (null entries where not needed or undefined). */
@FunctionalInterface
public interface GradRule {
    Tensor[] backward(GradStep s);
}
