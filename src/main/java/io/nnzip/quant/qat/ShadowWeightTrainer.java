package io.nnzip.quant.qat;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.LrSchedule;
import io.nnzip.train.Optimizer;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Quantization-aware training on nnzip's Trainer for every weight scheme. Each step: write the derived values of
 * every {@link QuantizedParam} into the model, let the Trainer's forward/backward measure gradients there (it
 * steps with learning rate 0), convert them into gradients of the shadow weights / centroids, and update those
 * and the model's remaining float parameters (biases, BN) with Adam. Scales are tracked: projections recompute
 * them from the current shadow weights every step. The learning rate decays to zero over the run (cosine), so
 * training ends on a settled point of the quantized grid rather than one step's noise away from it.
 */
public final class ShadowWeightTrainer {
    public record Report(int epochs, long steps, float lastLoss, float lastAccuracy) {}

    private ShadowWeightTrainer() {}

    /** Trains; on return {@code model}'s initializers hold the final derived weights and trained float parameters. */
    public static Report train(Model model, List<QuantizedParam> targets, Dataset data, Normalization norm, int epochs, int batch,
                               float lr, int threads, long seed, Consumer<String> log) {
        Trainer.Options o = new Trainer.Options().epochs(epochs).batchSize(batch).optimizer("sgd").momentum(0f).threads(threads).seed(seed);
        Map<String, QuantizedParam> byWeight = new LinkedHashMap<>();
        for (QuantizedParam t : targets) byWeight.put(t.weight(), t);
        long steps = 0;
        float loss = Float.NaN, acc = Float.NaN;
        try (Trainer tr = new Trainer(model, o)) {
            Model live = tr.model();
            List<Param> updated = new ArrayList<>();
            for (Param p : tr.params()) updated.add(byWeight.containsKey(p.name()) ? byWeight.get(p.name()).param() : p);
            Optimizer adam = Optimizer.create("adam", 0.9f, false, 0f);
            LrSchedule sched = LrSchedule.of("cosine", lr, epochs * ((data.size() + batch - 1) / batch), 0, 0, 0f);
            for (int e = 0; e < epochs; e++) {
                double lossSum = 0;
                long correct = 0, seen = 0;
                try (BatchLoader loader = new BatchLoader(data, batch, true, norm, Augment.NONE, seed, e)) {
                    while (loader.hasNext()) {
                        Batch b = loader.next();
                        write(live, targets);
                        float[] r = tr.step(b, 0f);
                        for (Param p : tr.params()) {
                            QuantizedParam q = byWeight.get(p.name());
                            if (q != null) q.backward(p.grad());
                        }
                        adam.step(updated, sched.at((int) steps));
                        lossSum += r[0] * b.size();
                        correct += (long) r[1];
                        seen += b.size();
                        steps++;
                    }
                }
                loss = (float) (lossSum / seen);
                acc = (float) correct / seen;
                log.accept(String.format("QAT epoch %d/%d: loss %.4f, train accuracy %.2f%%", e + 1, epochs, loss, 100 * acc));
            }
            write(live, targets);
            for (Map.Entry<String, Tensor> en : live.graph().initializers().entrySet()) model.graph().initializers().put(en.getKey(), en.getValue().copy());
        }
        return new Report(epochs, steps, loss, acc);
    }

    /** Writes the derived weights into the live arrays the Trainer reads. */
    static void write(Model live, List<QuantizedParam> targets) {
        for (QuantizedParam t : targets) {
            float[] v = t.values();
            System.arraycopy(v, 0, live.graph().initializer(t.weight()).floats(), 0, v.length);
        }
    }
}
