package io.nnzip.train;

import io.nnzip.data.Batch;
import io.nnzip.ir.Tensor;

/**
 * What a training step minimizes, given the model's output for a batch: returns the mean loss and writes
 * dLoss/dOutput into {@code grad}. Distillation plugs in a teacher here.
 */
@FunctionalInterface
public interface Objective {
    float lossAndGrad(Batch batch, Tensor output, float[] grad);

    static Objective crossEntropy(float labelSmoothing) {
        return (b, out, g) -> Losses.softmaxCrossEntropy(out.floats(), b.labels(), b.size(), out.size() / b.size(), labelSmoothing, g);
    }
}
