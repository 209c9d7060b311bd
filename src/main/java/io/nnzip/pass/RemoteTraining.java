package io.nnzip.pass;

import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import java.util.function.Consumer;

/**
 * Fine-tuning that runs outside this process (data-parallel workers on Apache Spark). A {@link PassContext} that
 * carries one sends every pass's plain fine-tuning there, so {@code prune}, {@code factorize} and recipes scale out
 * without knowing how; requests that need hooks or a custom objective inside the training step are refused, since
 * those cannot travel to a worker.
 */
@FunctionalInterface
public interface RemoteTraining {
    /** The trained model and what the report shows about the run (exchange_ratio, bytes_per_step, where it ran). */
    record Result(Model model, java.util.Map<String, Object> info) {}

    /**
     * @param trainSize images in the training split (the workers read it from their own path)
     * @param norm      the normalization the model's inputs get
     */
    Result train(Model m, FineTuning.Request r, Normalization norm, int trainSize, Consumer<String> log);
}
