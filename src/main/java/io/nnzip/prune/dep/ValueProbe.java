package io.nnzip.prune.dep;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs a model in ONNX Runtime with chosen intermediate values exposed as extra graph outputs, so their concrete
 * shapes and contents can be read. Pruning uses it for value shapes (batch bound to 1) and for activation
 * statistics on calibration batches; ONNX Runtime is the one executor every graph nnzip handles is guaranteed to run on.
 */
public final class ValueProbe {
    private ValueProbe() {}

    /** Every node output's concrete shape for a random input with symbolic dims set to {@code batch}. */
    public static Map<String, int[]> shapes(Model m, int batch) {
        Map<String, Tensor> feeds = randomFeeds(m, batch, 1);
        Map<String, Tensor> vals = run(m, allNodeOutputs(m.graph()), feeds);
        Map<String, int[]> out = new HashMap<>();
        feeds.forEach((k, v) -> out.put(k, v.shape()));
        vals.forEach((k, v) -> out.put(k, v.shape()));
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) out.putIfAbsent(e.getKey(), e.getValue().shape());
        return out;
    }

    public static List<String> allNodeOutputs(Graph g) {
        List<String> names = new ArrayList<>();
        for (Node n : g.nodes()) for (String o : n.outputs()) if (!o.isEmpty()) names.add(o);
        return names;
    }

    /** Values named in {@code names} (and the graph outputs) computed by ONNX Runtime on {@code feeds}. */
    public static Map<String, Tensor> run(Model m, List<String> names, Map<String, Tensor> feeds) {
        try (OrtRunner r = OrtRunner.exposing(m, names, 2)) {
            return r.run(feeds);
        }
    }

    /** Uniform [-1, 1) inputs; every symbolic or unknown dim becomes {@code batch}. */
    public static Map<String, Tensor> randomFeeds(Model m, int batch, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> feeds = new HashMap<>();
        for (ValueInfo v : m.graph().runtimeInputs()) {
            int[] s = v.concreteShape(batch);
            if (s == null) throw new NnzipException("input '" + v.name() + "' has no declared shape; pruning needs one to trace channels");
            DType t = v.dtype() == null ? DType.FLOAT : v.dtype();
            if (t == DType.INT64 || t == DType.INT32) {
                // token ids: index 0 exists in every embedding table
                feeds.put(v.name(), t == DType.INT64 ? Tensor.ofLongs(new long[io.nnzip.ir.Shapes.numel(s)], s) : new Tensor(t, s, new int[io.nnzip.ir.Shapes.numel(s)]));
                continue;
            }
            if (t != DType.FLOAT) throw new NnzipException("input '" + v.name() + "' is " + t.lower() + "; pruning traces float and integer inputs only");
            float[] x = new float[io.nnzip.ir.Shapes.numel(s)];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            feeds.put(v.name(), Tensor.of(x, s));
        }
        return feeds;
    }
}
