package io.nnzip.quant.qat;

import io.nnzip.ir.Tensor;

/**
 * Maps float (shadow) weights to the values the quantized model will compute with: the forward half of
 * fake-quantization. Its backward is the straight-through estimator: the gradient at the projected weights is
 * applied to the shadow weights unchanged ({@link StraightThrough}).
 */
@FunctionalInterface
public interface WeightProjector {
    float[] project(Tensor shadow, int outAxis);
}
