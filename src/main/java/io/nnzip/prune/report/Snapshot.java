package io.nnzip.prune.report;

import io.nnzip.eval.OrtLatency;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Accuracy;
import io.nnzip.prune.UnstructuredPruner;
import java.util.LinkedHashMap;
import java.util.Map;

/** The measured facts of one model for a before/after report. */
public record Snapshot(long params, long macs, long fileBytes, double sparsity, Map<String, Layer> layers, Double accuracy,
                       Double latencyMs, int latencyBatch, int threads) {
    public record Layer(int[] shape, long params, double sparsity) {}

    /**
     * @param accuracy null to skip; @param latencyFeeds null to skip timing
     */
    public static Snapshot of(Model m, Accuracy accuracy, Map<String, Tensor> latencyFeeds, int threads) {
        long params = 0, zeros = 0;
        Map<String, Layer> layers = new LinkedHashMap<>();
        for (String w : UnstructuredPruner.weightTensors(m.graph())) {
            Tensor t = m.graph().initializer(w);
            float[] d = t.toFloats();
            long z = 0;
            for (float v : d) if (v == 0f) z++;
            layers.put(w, new Layer(t.shape(), d.length, d.length == 0 ? 0 : (double) z / d.length));
        }
        for (Tensor t : m.graph().initializers().values()) {
            if (!t.dtype().isFloating()) continue;
            params += t.size();
            for (float v : t.toFloats()) if (v == 0f) zeros++;
        }
        Double acc = accuracy == null ? null : accuracy.of(m);
        Double lat = null;
        int batch = 0;
        if (latencyFeeds != null) {
            lat = OrtLatency.measure(m, latencyFeeds, threads).medianMs();
            batch = latencyFeeds.values().iterator().next().dim(0);
        }
        return new Snapshot(params, LayerCosts.totalMacs(m, 1), OnnxWriter.toBytes(m).length, params == 0 ? 0 : (double) zeros / params,
                layers, acc, lat, batch, threads);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("params", params);
        r.put("macs", macs);
        r.put("file_bytes", fileBytes);
        r.put("sparsity", sparsity);
        if (accuracy != null) r.put("accuracy", accuracy);
        if (latencyMs != null) {
            r.put("ort_latency_ms", latencyMs);
            r.put("latency_batch", latencyBatch);
            r.put("threads", threads);
        }
        return r;
    }
}
