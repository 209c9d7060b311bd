package io.nnzip.quant.qat;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Quantization-aware training on nnzip's Trainer for every weight scheme, as a {@link StepHook}: before each forward
 * pass the derived values of every {@link QuantizedParam} are written into the model; after backprop their gradients
 * are converted into gradients of the shadow weights / centroids (extra parameters the optimizer steps); the
 * derived weights themselves are {@link Trainer.Options#derived}, left to the projection. Scales are tracked: projections
 * recompute them from the current shadow weights every step. The learning rate decays to zero over the run
 * (cosine), so training ends on a settled point of the quantized grid rather than one step's noise away from it.
 */
public final class ShadowWeightTrainer implements StepHook {
    public record Report(int epochs, long steps, float lastLoss, float lastAccuracy) {}

    private final List<QuantizedParam> targets;
    private final Map<String, QuantizedParam> byWeight = new LinkedHashMap<>();

    private ShadowWeightTrainer(List<QuantizedParam> targets) {
        this.targets = targets;
        for (QuantizedParam t : targets) byWeight.put(t.weight(), t);
    }

    /**
     * A weight scheme's training stage: with {@code epochs} &gt; 0 trains on the training split (its first {@code limit}
     * images when positive) and returns the log lines; with 0 puts each target's projected values into {@code model} as new tensors
     * (the scheme without training) and returns none.
     */
    public static List<String> trainOrProject(Model model, List<QuantizedParam> targets, io.nnzip.data.DataSplits splits, int limit, Normalization norm,
                                              int epochs, float lr, int threads, long seed, Consumer<String> log) {
        List<String> lines = new java.util.ArrayList<>();
        if (epochs <= 0) {
            // a fresh tensor: the model's initializers may be shared with the float model it was copied from (Model.copy
            // is shallow), which would otherwise be quantized too and report the quantized accuracy as the float one
            for (QuantizedParam q : targets) {
                Tensor w = model.graph().initializer(q.weight());
                model.graph().initializers().put(q.weight(), Tensor.of(q.values().clone(), w.shape()));
            }
            return lines;
        }
        Dataset data = splits.requireTrain("--qat");
        if (limit > 0 && limit < data.size()) data = data.head(limit);
        train(model, targets, data, norm == null ? Normalization.NONE : norm, epochs, 128, lr, threads, seed, l -> {
            lines.add(l);
            log.accept(l);
        });
        return lines;
    }

    /** Trains; on return {@code model}'s initializers hold the final derived weights and trained float parameters. */
    public static Report train(Model model, List<QuantizedParam> targets, Dataset data, Normalization norm, int epochs, int batch,
                               float lr, int threads, long seed, Consumer<String> log) {
        Trainer.Options o = new Trainer.Options().epochs(epochs).batchSize(batch).optimizer("adam").momentum(0.9f).lr(lr).schedule("cosine")
                .threads(threads).seed(seed).hook(new ShadowWeightTrainer(targets));
        for (QuantizedParam t : targets) o.extraParam(t.param());
        o.derived(targets.stream().map(QuantizedParam::weight).toList());
        try (Trainer tr = new Trainer(model, o)) {
            Trainer.Report r = tr.fit(data, null, norm, new TrainListener() {
                @Override
                public void epochEnd(Trainer.EpochStats s) {
                    log.accept(String.format("QAT epoch %d/%d: loss %.4f, train accuracy %.2f%%", s.epoch(), epochs, s.trainLoss(), 100 * s.trainAccuracy()));
                }
            });
            Model live = tr.model();
            write(live, targets);
            for (Map.Entry<String, Tensor> en : live.graph().initializers().entrySet()) model.graph().initializers().put(en.getKey(), en.getValue().copy());
            Trainer.EpochStats last = r.epochs().isEmpty() ? null : r.epochs().getLast();
            return new Report(epochs, r.steps(), r.trainLoss(), last == null ? Float.NaN : last.trainAccuracy());
        }
    }

    @Override
    public void beforeForward(Trainer trainer, Batch batch) { write(trainer.model(), targets); }

    @Override
    public float afterBackward(Trainer trainer) {
        for (Param p : trainer.params()) {
            QuantizedParam q = byWeight.get(p.name());
            if (q == null) continue;
            q.backward(p.grad());
        }
        return 0f;
    }

    /** Writes the derived weights into the live arrays the Trainer reads. */
    static void write(Model live, List<QuantizedParam> targets) {
        for (QuantizedParam t : targets) {
            float[] v = t.values();
            System.arraycopy(v, 0, live.graph().initializer(t.weight()).floats(), 0, v.length);
        }
    }
}
