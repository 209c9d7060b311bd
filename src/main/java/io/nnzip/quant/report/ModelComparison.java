package io.nnzip.quant.report;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.calib.LabeledData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float model versus compressed model, all measured in one run in ONNX Runtime: top-1 accuracy (when labels
 * exist), top-1 agreement, file size, and latency at a fixed batch and thread count (the two models timed in
 * alternation; OrtLatency times one model alone).
 */
public final class ModelComparison {
    private ModelComparison() {}

    public static Map<String, Object> compare(Model reference, Model candidate, LabeledData data, int latencyBatch, int threads) {
        Map<String, Object> r = new LinkedHashMap<>();
        Predictions a = Predictions.of(reference, data, 256, threads), b = Predictions.of(candidate, data, 256, threads);
        r.put("samples", data.size());
        if (data.hasLabels()) {
            // JSON accuracies are fractions; the drop is in points and says so (docs/CLI.md)
            double fa = a.accuracy(data.labels()), qa = b.accuracy(data.labels());
            r.put("float_accuracy", round4(fa / 100));
            r.put("quantized_accuracy", round4(qa / 100));
            r.put("accuracy_drop_points", round(fa - qa));
        }
        r.put("top1_agreement", round4(a.agreement(b) / 100));
        long fs = OnnxWriter.toBytes(reference).length, qs = OnnxWriter.toBytes(candidate).length;
        r.put("float_bytes", fs);
        r.put("quantized_bytes", qs);
        r.put("size_ratio", round4((double) qs / fs));
        if (latencyBatch > 0) {
            Tensor x = batch(data, latencyBatch);
            String in = reference.graph().runtimeInputs().get(0).name();
            double[] ms = interleavedMedians(reference, candidate, Map.of(in, x), threads, 5, 31);
            r.put("latency_batch", latencyBatch);
            r.put("latency_threads", threads);
            r.put("float_ms", round(ms[0]));
            r.put("quantized_ms", round(ms[1]));
            r.put("latency_ratio", round4(ms[1] / ms[0]));
        }
        return r;
    }

    /** Median latencies of two models timed alternately (see {@link io.nnzip.eval.OrtLatency#alternate}). */
    static double[] interleavedMedians(Model a, Model b, Map<String, Tensor> feeds, int threads, int warmup, int runs) {
        io.nnzip.eval.OrtLatency.Pair p = io.nnzip.eval.OrtLatency.alternate(a, b, feeds, threads, warmup, runs);
        return new double[] {p.aMedian(), p.bMedian()};
    }

    /** A batch of exactly {@code n} samples, repeating the data if it is smaller. */
    static Tensor batch(LabeledData d, int n) {
        if (d.size() >= n) return d.slice(0, n);
        Tensor one = d.slice(0, d.size());
        int per = one.size() / d.size();
        float[] out = new float[n * per];
        for (int i = 0; i < n; i++) System.arraycopy(one.floats(), (i % d.size()) * per, out, i * per, per);
        int[] shape = one.shape();
        shape[0] = n;
        return Tensor.of(out, shape);
    }

    static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    static double round4(double v) { return Math.round(v * 10000) / 10000.0; }
}
