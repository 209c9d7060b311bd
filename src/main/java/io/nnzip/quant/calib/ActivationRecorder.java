package io.nnzip.quant.calib;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Runs a model in ONNX Runtime with chosen intermediate values exposed as extra graph outputs, and hands each
 * batch's values to a callback. Intermediates become outputs of a copy of the graph; ORT keeps them intact
 * (graph outputs are never fused away), so the values are exactly those of the float model.
 */
public final class ActivationRecorder implements AutoCloseable {
    private final OrtRunner runner;
    private final String input;

    public ActivationRecorder(Model m, Collection<String> tensors, int threads) {
        Model copy = m.copy();
        Graph g = copy.graph();
        Set<String> have = new HashSet<>(g.outputNames());
        for (String t : tensors) if (have.add(t)) g.outputs().add(new ValueInfo(t, g.valueInfo().containsKey(t) ? g.valueInfo().get(t).dtype() : DType.FLOAT, null));
        runner = new OrtRunner(copy, threads);
        input = g.runtimeInputs().get(0).name();
    }

    /** Runs one batch and returns every output (graph outputs and recorded intermediates). */
    public Map<String, Tensor> run(Tensor batch) { return runner.run(Map.of(input, batch)); }

    /** Runs every batch, calling {@code sink(name, values)} for each recorded tensor. */
    public void forEach(List<Tensor> batches, BiConsumer<String, Tensor> sink) {
        for (Tensor b : batches) for (Map.Entry<String, Tensor> e : run(b).entrySet()) sink.accept(e.getKey(), e.getValue());
    }

    /** Min/max (and, when asked, |x| histograms) of each named tensor over all batches: two passes. */
    public static Map<String, TensorStats> stats(Model m, Collection<String> tensors, List<Tensor> batches, boolean histogram, int threads) {
        Map<String, TensorStats> stats = new LinkedHashMap<>();
        for (String t : tensors) stats.put(t, new TensorStats());
        try (ActivationRecorder r = new ActivationRecorder(m, tensors, threads)) {
            r.forEach(batches, (name, v) -> {
                TensorStats s = stats.get(name);
                if (s != null) s.observeRange(v.toFloats(), v.shape());
            });
            if (histogram) r.forEach(batches, (name, v) -> {
                TensorStats s = stats.get(name);
                if (s != null) s.observeHistogram(v.toFloats());
            });
        }
        return stats;
    }

    @Override
    public void close() { runner.close(); }
}
