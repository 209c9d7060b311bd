package io.nnzip.prune.oneshot;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.UnstructuredPruner;
import io.nnzip.prune.WeightMasks;
import io.nnzip.prune.dep.ValueProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Data-aware one-shot pruning without retraining: {@code sparsegpt} (mask + weight reconstruction from the inputs'
 * Gram matrix) and {@code wanda} (activation-weighted magnitude). Layers are visited in graph order and each one's
 * inputs are read from the model pruned so far (run in ONNX Runtime), so a layer's reconstruction also absorbs the
 * error of the layers before it. Weights no rule handles (grouped convolutions, weights read twice, MatMul with the
 * weight first) fall back to plain magnitude.
 */
public final class OneShotPruner {
    public static final List<String> METHODS = List.of("sparsegpt", "wanda");
    /** Dampening of H's diagonal relative to its mean, as in SparseGPT. */
    static final double DAMP = 0.01;

    private OneShotPruner() {}

    public static boolean handles(String method) { return METHODS.contains(method); }

    /**
     * Prunes {@code m} in place. @param nm {N, M}, or null for unstructured {@code amount} per layer
     * @param calibration input batches (random inputs when null)
     */
    public static WeightMasks prune(Model m, String method, double amount, int[] nm, Iterable<Map<String, Tensor>> calibration, long seed,
                                    Consumer<String> log) {
        return prune(m, method, amount, nm, calibration, seed, java.util.Set.of(), log);
    }

    /** @param dense weights left as they are (SparseGPT's practice: embedding and head stay dense) */
    public static WeightMasks prune(Model m, String method, double amount, int[] nm, Iterable<Map<String, Tensor>> calibration, long seed,
                                    java.util.Set<String> dense, Consumer<String> log) {
        if (!handles(method)) throw new NnzipException("one-shot --method must be sparsegpt or wanda, not '" + method + "'");
        Graph g = m.graph();
        List<Map<String, Tensor>> batches = new ArrayList<>();
        if (calibration != null) for (Map<String, Tensor> b : calibration) batches.add(b);
        if (batches.isEmpty()) {
            log.accept(method + ": no calibration data; reading layer inputs on random inputs");
            for (int i = 0; i < 4; i++) batches.add(ValueProbe.randomFeeds(m, 16, seed + i));
        }
        // the fallback: magnitude masks for every weight, replaced below for the layers reconstruction handles
        Model fallback = m.copy();
        WeightMasks masks = nm != null ? UnstructuredPruner.nm(fallback, nm[0], nm[1])
                : UnstructuredPruner.prune(fallback, UnstructuredPruner.Method.MAGNITUDE, amount, "layer", seed);
        masks.all().keySet().removeAll(dense);
        List<LayerSite> sites = LayerSite.find(g).stream().filter(s -> !dense.contains(s.weight)).toList();
        java.util.Set<String> done = new java.util.HashSet<>();
        for (LayerSite s : sites) {
            double[] h = gram(m, s, batches);
            double[] w = s.matrix(g.initializer(s.weight));
            boolean[] mask = method.equals("sparsegpt") ? Obs.sparseGpt(w, s.rows, s.cols, h, amount, nm, DAMP)
                    : Obs.wanda(w, s.rows, s.cols, h, amount, nm);
            g.initializers().put(s.weight, s.tensor(w));
            masks.put(s.weight, s.layoutMask(mask));
            done.add(s.weight);
        }
        for (Map.Entry<String, boolean[]> e : masks.all().entrySet()) {
            if (done.contains(e.getKey())) continue;
            g.initializers().put(e.getKey(), fallback.graph().initializer(e.getKey()));
        }
        log.accept(String.format("%s: %d layers reconstructed from %d calibration batches, %d by magnitude", method, done.size(), batches.size(),
                masks.all().size() - done.size()));
        return masks;
    }

    /** H = Σ x·xᵀ over the layer's input vectors on every batch, read from the current model. */
    static double[] gram(Model m, LayerSite s, List<Map<String, Tensor>> batches) {
        int k = s.cols;
        double[] h = new double[k * k];
        if (batches.get(0).containsKey(s.input)) {
            for (Map<String, Tensor> feeds : batches) s.inputVectors(feeds.get(s.input), v -> addOuter(h, v));
        } else {
            try (io.nnzip.eval.OrtRunner r = io.nnzip.eval.OrtRunner.exposing(m, List.of(s.input), 2)) {
                for (Map<String, Tensor> feeds : batches) s.inputVectors(r.run(feeds).get(s.input), v -> addOuter(h, v));
            }
        }
        for (int i = 0; i < k; i++) for (int j = 0; j < i; j++) h[i * k + j] = h[j * k + i];
        return h;
    }

    private static void addOuter(double[] h, double[] v) {
        int k = v.length;
        for (int i = 0; i < k; i++) {
            double vi = v[i];
            if (vi == 0) continue;
            int row = i * k;
            for (int j = i; j < k; j++) h[row + j] += vi * v[j];
        }
    }
}
