package io.nnzip.codec.rd;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.train.Evaluator;

/**
 * Top-1 accuracy of a model on a fixed test set, run in ONNX Runtime through the shared {@link Evaluator}: what
 * {@code --max-drop} keeps within bound. The normalization is resolved once, from the original model (its metadata
 * or the user's --normalize), so every trial is fed exactly what the original model expects.
 */
public final class DatasetProbe implements AccuracyProbe {
    private static final int BATCH = 500;
    private final Dataset data;
    private final Normalization norm;
    private final int threads;

    public DatasetProbe(Dataset data, Normalization norm, int threads) {
        this.data = data;
        this.norm = norm;
        this.threads = Math.max(1, threads);
    }

    public int size() { return data.size(); }

    @Override
    public double accuracy(Model m) {
        try (OrtRunner r = new OrtRunner(m, threads)) {
            return Evaluator.evaluate(Evaluator.ort(m, r), data, norm, BATCH).accuracy();
        }
    }
}
