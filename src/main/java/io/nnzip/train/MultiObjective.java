package io.nnzip.train;

import io.nnzip.data.Batch;
import io.nnzip.ir.Tensor;
import java.util.Map;

/**
 * What a training step minimizes when it looks at several graph values at once — several exits, a student's hint
 * layers beside its logits, a discriminator's score. {@code outputs} holds the values named by
 * {@link Trainer.Options#outputs} (graph outputs or any intermediate value); {@code grads} holds one zeroed array per
 * name, same size as the value, into which the objective writes dLoss/dValue. Returns the mean loss.
 */
@FunctionalInterface
public interface MultiObjective {
    float lossAndGrad(Batch batch, Map<String, Tensor> outputs, Map<String, float[]> grads);

    /** The single-output objective on the first named value. */
    static MultiObjective of(Objective single) {
        return (b, outs, grads) -> {
            Map.Entry<String, Tensor> first = outs.entrySet().iterator().next();
            return single.lossAndGrad(b, first.getValue(), grads.get(first.getKey()));
        };
    }
}
