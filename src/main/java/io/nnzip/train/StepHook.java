package io.nnzip.train;

import io.nnzip.data.Batch;

/**
 * What a method adds to the shared training step without a loop of its own: masks that keep pruned weights at zero
 * (and may splice them back), shadow weights projected onto a quantization grid, priors and penalties whose
 * gradients join the loss's, noise resampled per step. The {@link Trainer} calls every hook in the order given:
 * <pre>
 * beforeForward → forward → objective → backprop → afterBackward (add gradients, return extra loss)
 *               → clip → optimizer → afterStep
 * </pre>
 */
public interface StepHook {
    /** Before the forward pass: write derived weights into the live arrays, resample noise. */
    default void beforeForward(Trainer trainer, Batch batch) {}

    /**
     * After every parameter's gradient is known (model parameters and {@link Trainer.Options#extraParams}): add a
     * regularizer's gradient, mask gradients. Returns the loss term this hook added (0 if none), reported with the loss.
     */
    default float afterBackward(Trainer trainer) { return 0f; }

    /** After the optimizer moved the parameters: re-apply masks, project, clamp. */
    default void afterStep(Trainer trainer) {}
}
