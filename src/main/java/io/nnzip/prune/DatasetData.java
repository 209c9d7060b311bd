package io.nnzip.prune;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.DataSplits;
import io.nnzip.data.ModelInputs;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Evaluator;
import io.nnzip.train.Param;
import io.nnzip.train.TrainListener;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.PassContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data from the one data stack ({@link DataSplits}) through the training engine: calibration batches from the
 * calibration images (the training split unless own ones are given), accuracy on the validation split in ONNX
 * Runtime, and fine-tuning with the {@link Trainer} that re-zeroes pruned weights after every optimizer step.
 * Inputs are normalized as the splits say: the explicit normalization, else the model's recorded one.
 */
final class DatasetData implements PruneData {
    private final DataSplits data;
    private final PassContext ctx;
    private final float lr;
    private final long seed;

    DatasetData(PassContext ctx, float lr, long seed) {
        this.ctx = ctx;
        this.data = ctx.data();
        this.lr = lr;
        this.seed = seed;
    }

    @Override
    public Iterable<Map<String, Tensor>> calibration(Model m, int batches, int batchSize, long s) {
        String in = m.graph().runtimeInputs().getFirst().name();
        List<Map<String, Tensor>> out = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(data.calibration(), batchSize, true, data.normalization(m), Augment.NONE, s, 0)) {
            while (l.hasNext() && out.size() < batches) out.add(Map.of(in, ModelInputs.fitToInput(l.next().images(), m)));
        }
        return out;
    }

    @Override
    public Iterable<Batch> labelled(Model m, int batches, int batchSize, long s) {
        Dataset train = data.train();
        if (train == null || !train.labelled()) return null;
        List<Batch> out = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(train, batchSize, true, data.normalization(m), Augment.NONE, s, 0)) {
            while (l.hasNext() && out.size() < batches) out.add(l.next());
        }
        return out;
    }

    @Override
    public Accuracy accuracy() {
        Dataset val = data.val();
        if (val == null || !val.labelled()) return null;
        return m -> {
            try (OrtRunner r = new OrtRunner(m, ctx.threads())) {
                return 100.0 * Evaluator.evaluate(Evaluator.ort(m, r), val, data.normalization(m), 256).accuracy();
            }
        };
    }

    @Override
    public int trainingImages() {
        Dataset train = data.train();
        return train == null ? 0 : train.size();
    }

    @Override
    public FineTune fineTune() {
        Dataset train = data.train();
        if (train == null || !train.labelled()) return null;
        return new FineTune() {
            @Override
            public Model tune(Model m, int epochs, WeightMasks masks) { return tune(m, epochs, masks, new double[0], null); }

            @Override
            public Model tune(Model m, int epochs, WeightMasks masks, double[] shares, Reprune reprune) { return train(m, epochs, masks, shares, reprune); }
        };
    }

    /** Adam with cosine decay; pruned weights stay zero, and masks grow at the given shares of the run. */
    private Model train(Model m, int epochs, WeightMasks masks, double[] shares, FineTune.Reprune reprune) {
        FineTuning.Request r = FineTuning.Request.of(epochs, lr, "cosine", seed).zeros(masks.all());
        if (shares.length > 0) r = r.listener(t -> {
            Map<String, float[]> live = new LinkedHashMap<>();
            for (Param p : t.params()) if (masks.all().containsKey(p.name())) live.put(p.name(), p.value());
            return new TrainListener() {
                long done;
                int next;

                @Override
                public void step(int epoch, int total, int batch, int batches, float loss, float acc, double ips, double eta) {
                    done++;
                    long all = (long) batches * total;
                    while (next < shares.length && done >= Math.round(shares[next] * all)) reprune.at(2 + next++, live, masks);
                }
            };
        });
        return ctx.fineTuning().run(m, r).model();
    }

    @Override
    public String describe() { return data.describe(); }
}
