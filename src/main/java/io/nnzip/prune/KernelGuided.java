package io.nnzip.prune;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.SparseConv;
import io.nnzip.engine.kernels.SparseGemm;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --amount-per-layer kernel}: unstructured amounts chosen per layer by whether nnzip's engine would run the
 * pruned layer with a sparse kernel. A layer the sparse kernels take (a group-1 Conv whose output plane is large enough,
 * {@link SparseConv#paysAt}; a Gemm or MatMul right operand where {@link SparseGemm#pays}; at least
 * {@link SparseWeights#MIN_SIZE} weights) is pruned to {@code --amount}, raised where needed to the least amount at which
 * the kernel engages ({@link SparseRows#MAX_DENSITY}, and the Gemm rule's own margin); every other layer (depthwise and
 * grouped convs, small planes, small weights, a MatMul's left operand, ConvTranspose) stays dense: zeros there would
 * cost accuracy and save no time. Layers whose output shape cannot be inferred stay dense too, and are named.
 */
final class KernelGuided {
    private KernelGuided() {}

    /** Amount per prunable weight, and one note per decision group. */
    record Choice(Map<String, Double> amounts, List<String> notes) {}

    static Choice choose(Model m, double amount) {
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        Map<String, Double> out = new LinkedHashMap<>();
        List<String> sparse = new ArrayList<>(), dense = new ArrayList<>(), raised = new ArrayList<>(), unknown = new ArrayList<>();
        for (String w : UnstructuredPruner.weightTensors(g)) out.put(w, 0.0);
        for (Node n : g.nodes()) {
            if (n.inputs().size() < 2 || !out.containsKey(n.input(1))) continue;
            String w = n.input(1);
            Tensor t = g.initializer(w);
            double least = switch (n.opType()) {
                case "Conv" -> {
                    ValueType y = types.get(n.output(0));
                    if (y == null || !y.isConcrete() || y.rank() != 4 || t.rank() != 4) {
                        unknown.add(w);
                        yield -1;
                    }
                    boolean pays = t.size() >= SparseWeights.MIN_SIZE
                            && SparseConv.paysAt((int) n.attrInt("group", 1), t.dim(2) * t.dim(3), (long) y.shape()[2] * y.shape()[3]);
                    yield pays ? 1 - SparseRows.MAX_DENSITY : -1;
                }
                case "Gemm", "MatMul" -> {
                    if (t.rank() != 2) yield -1;
                    boolean tb = n.opType().equals("Gemm") && n.attrInt("transB", 0) != 0;
                    long nOut = tb ? t.dim(0) : t.dim(1), k = tb ? t.dim(1) : t.dim(0);
                    // SparseGemm.pays: 4·nnz + 20·(K + N) < N·K; the CSR form itself needs density ≤ MAX_DENSITY
                    double density = Math.min(SparseRows.MAX_DENSITY, (nOut * k - 20.0 * (k + nOut)) / (4.0 * nOut * k));
                    yield t.size() >= SparseWeights.MIN_SIZE && density > 0.01 ? 1 - density : -1;
                }
                default -> -1;
            };
            if (least < 0) continue;
            // a hair past the boundary: the pruner's rounding must not leave one weight too many
            double a = Math.max(amount, Math.min(0.99, least + 0.005));
            if (a > amount) raised.add(w + " " + String.format("%.3f", a));
            out.put(w, a);
        }
        for (Map.Entry<String, Double> e : out.entrySet()) (e.getValue() > 0 ? sparse : dense).add(e.getKey());
        for (String w : out.keySet())
            if (w.indexOf(',') >= 0 || w.indexOf('=') >= 0) throw new NnzipException("--amount-per-layer kernel: weight name '" + w + "' holds ',' or '='");
        List<String> notes = new ArrayList<>();
        notes.add("--amount-per-layer kernel: " + sparse.size() + " layer(s) pruned where the engine's sparse kernels run them: " + String.join(", ", sparse));
        if (!dense.isEmpty()) notes.add("kept dense (the engine would run them dense at any sparsity): " + String.join(", ", dense));
        if (!raised.isEmpty()) notes.add("raised above --amount to where the sparse kernel engages: " + String.join(", ", raised));
        if (!unknown.isEmpty()) notes.add("output shape not inferred, kept dense: " + String.join(", ", unknown));
        return new Choice(out, notes);
    }

    /** The amounts as a --layer-amounts spec, the caller's own spec (names and roles resolved on {@code g}) winning. */
    static String spec(Map<String, Double> amounts, String userSpec, Graph g) {
        Map<String, Double> merged = new LinkedHashMap<>(amounts);
        merged.putAll(LayerAmounts.resolve(LayerAmounts.parse(userSpec), g));
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Double> e : merged.entrySet()) b.append(b.isEmpty() ? "" : ",").append(e.getKey()).append('=').append(e.getValue());
        return b.toString();
    }
}
