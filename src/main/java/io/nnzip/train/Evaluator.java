package io.nnzip.train;

import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Augment;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.Map;

/**
 * Classification metrics of a model on a dataset: top-1/top-5 accuracy, mean cross-entropy, per-class accuracy,
 * confusion matrix (rows = true class, columns = predicted) and throughput.
 */
public final class Evaluator {
    private Evaluator() {}

    /** Maps a normalized image batch (N,C,H,W) to logits (N,K). */
    @FunctionalInterface
    public interface Predictor {
        Tensor predict(Tensor images);
    }

    public record Result(int count, float accuracy, float top5Accuracy, float loss, float[] perClassAccuracy, int[][] confusion,
                         double seconds, double imagesPerSecond) {}

    public static Predictor engine(Model m, Parallel par) {
        Executor ex = new Executor(m.graph(), m.opset(), par);
        io.nnzip.ir.ValueInfo in = m.graph().runtimeInputs().getFirst();
        String out = m.graph().outputNames().getFirst();
        return x -> asFloat(ex.run(Map.of(in.name(), asInput(x, in))).get(out));
    }

    /**
     * The engine on {@link io.nnzip.engine.Fusion#forInference}'s fused copy of {@code m}: faster, but it holds the
     * weights as they are now (folded, joined), so only for a model that no longer changes (not a training one).
     */
    public static Predictor fusedEngine(Model m, Parallel par) { return engine(io.nnzip.engine.Fusion.forInference(m), par); }

    /** ONNX Runtime session; the caller closes the runner. */
    public static Predictor ort(Model m, OrtRunner runner) {
        io.nnzip.ir.ValueInfo in = m.graph().runtimeInputs().getFirst();
        String out = m.graph().outputNames().getFirst();
        return x -> asFloat(runner.run(Map.of(in.name(), asInput(x, in))).get(out));
    }

    /** Float32 images as {@code in} takes them: rounded to nearest even for a float16 / bfloat16 input. */
    public static Tensor asInput(Tensor x, io.nnzip.ir.ValueInfo in) {
        io.nnzip.ir.DType t = in.dtype();
        if (x.dtype() != io.nnzip.ir.DType.FLOAT || t != io.nnzip.ir.DType.FLOAT16 && t != io.nnzip.ir.DType.BFLOAT16) return x;
        return io.nnzip.engine.ops.support.Values.fromDoubles(t, x.shape(), io.nnzip.engine.ops.support.Values.doubles(x));
    }

    /** Logits as float32 (a float16 / bfloat16 / float64 output widened exactly or rounded to float). */
    public static Tensor asFloat(Tensor y) {
        return y == null || y.dtype() == io.nnzip.ir.DType.FLOAT || !y.dtype().isFloating() ? y : Tensor.of(y.toFloats(), y.shape());
    }

    /** How many rows of logits (N,K), N = labels.length, have their largest score (first on ties) at the label. */
    public static int correctTop1(float[] z, int[] labels) {
        int n = labels.length, k = z.length / n, c = 0;
        for (int i = 0; i < n; i++) if (argmax(z, i * k, k) == labels[i]) c++;
        return c;
    }

    /** The index of the largest of {@code z[off .. off+k)} (the first on ties): the one top-1 rule of nnzip. */
    public static int argmax(float[] z, int off, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) if (z[off + j] > z[off + best]) best = j;
        return best;
    }

    /** The top-1 class of each row of logits (N,K). */
    public static int[] top1(float[] z, int n) {
        int k = z.length / n;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = argmax(z, i * k, k);
        return out;
    }

    public static Result evaluate(Predictor p, Dataset d, Normalization norm, int batchSize) {
        int k = d.classes(), correct = 0, correct5 = 0;
        int[][] confusion = new int[k][k];
        double lossSum = 0;
        long t0 = System.nanoTime();
        try (BatchLoader loader = new BatchLoader(d, batchSize, false, norm, Augment.NONE, 0, 0)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                Tensor logits = p.predict(b.images());
                int n = b.size();
                if (logits.size() % n != 0 || logits.size() / n < k)
                    throw new NnzipException("model output " + logits + " does not give " + k + " class scores per image");
                int kk = logits.size() / n;
                float[] z = logits.toFloats();
                lossSum += Losses.softmaxCrossEntropy(z, b.labels(), n, kk, 0f, null) * n;
                for (int i = 0; i < n; i++) {
                    int label = b.labels()[i], pred = 0, rank = 0;
                    float target = z[i * kk + label];
                    for (int j = 0; j < kk; j++) {
                        if (z[i * kk + j] > z[i * kk + pred]) pred = j;
                        if (z[i * kk + j] > target || (z[i * kk + j] == target && j < label)) rank++;
                    }
                    if (pred == label) correct++;
                    if (rank < 5) correct5++;
                    if (pred < k) confusion[label][pred]++;
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        float[] perClass = new float[k];
        for (int c = 0; c < k; c++) {
            int total = 0;
            for (int j = 0; j < k; j++) total += confusion[c][j];
            perClass[c] = total == 0 ? Float.NaN : (float) confusion[c][c] / total;
        }
        int n = d.size();
        return new Result(n, (float) correct / n, (float) correct5 / n, (float) (lossSum / n), perClass, confusion, secs, n / secs);
    }
}
