package io.nnzip.prune.report;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Accuracy;
import io.nnzip.prune.UnstructuredPruner;
import java.util.LinkedHashMap;
import java.util.Map;

/** The measured facts of one model for a before/after report. */
public record Snapshot(long params, long macs, long fileBytes, double sparsity, Map<String, Layer> layers, Double accuracy) {
    public record Layer(int[] shape, long params, double sparsity) {}

    /** @param accuracy null to skip */
    public static Snapshot of(Model m, Accuracy accuracy) {
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
        return new Snapshot(params, LayerCosts.totalMacs(m, 1), OnnxWriter.toBytes(m).length, params == 0 ? 0 : (double) zeros / params,
                layers, acc);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("params", params);
        r.put("macs", macs);
        r.put("file_bytes", fileBytes);
        r.put("sparsity", sparsity);
        if (accuracy != null) r.put("accuracy", accuracy / 100); // a fraction in JSON, as in every command (docs/CLI.md)
        return r;
    }
}
