package io.nnzip.pipeline;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights each MAC layer (Conv, ConvTranspose, Gemm, MatMul) really multiplies by, as floats. A quantized model
 * stores them as indices, codes or int8 behind DequantizeLinear / Gather chains; the zeros pruning made live in the
 * dequantized values, not in those stored tensors, so the chain is folded by running it on its constants. Keys are
 * layer names (the node's name, which quantization keeps, so steps compare; the weight's stored tensor if unnamed).
 */
public final class WeightValues {
    private WeightValues() {}

    public static Map<String, float[]> of(Model m) {
        Graph g = m.graph();
        Map<String, Node> producer = new HashMap<>();
        for (Node n : g.nodes()) for (String o : n.outputs()) if (!o.isEmpty()) producer.put(o, n);
        Map<String, Tensor> folded = new HashMap<>();
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Parallel one = new Parallel(1)) {
            ExecContext ctx = new ExecContext(one, m.opset());
            for (Node n : TopoSort.order(g.nodes())) {
                int[] slots = switch (n.opType()) {
                    case "Conv", "ConvTranspose", "Gemm" -> new int[] {1};
                    case "MatMul" -> new int[] {0, 1};
                    default -> new int[0];
                };
                for (int s : slots) {
                    if (s >= n.inputs().size()) continue;
                    String w = n.input(s);
                    Tensor t = value(w, g, producer, folded, ctx);
                    if (t == null || t.dtype() != DType.FLOAT || t.rank() < 2) continue;
                    out.putIfAbsent(n.name().isEmpty() ? source(w, g, producer) : n.name(), t.toFloats());
                }
            }
        }
        return out;
    }

    /** Share of exact zeros per layer. */
    public static Map<String, Double> sparsity(Map<String, float[]> weights) {
        Map<String, Double> out = new LinkedHashMap<>();
        weights.forEach((k, w) -> out.put(k, w.length == 0 ? 0 : (double) zeros(w) / w.length));
        return out;
    }

    /** Share of exact zeros over all layers' weights together. */
    public static double totalSparsity(Map<String, float[]> weights) {
        long z = 0, n = 0;
        for (float[] w : weights.values()) {
            z += zeros(w);
            n += w.length;
        }
        return n == 0 ? 0 : (double) z / n;
    }

    private static long zeros(float[] w) {
        long z = 0;
        for (float v : w) if (v == 0f) z++;
        return z;
    }

    /** The constant value named {@code name}, folding its producers; null when it depends on a runtime input. */
    private static Tensor value(String name, Graph g, Map<String, Node> producer, Map<String, Tensor> folded, ExecContext ctx) {
        Tensor t = g.initializer(name);
        if (t != null) return t;
        if (folded.containsKey(name)) return folded.get(name);
        Node n = producer.get(name);
        Tensor r = null;
        if (n != null && !n.opType().startsWith("Random")) {
            Tensor[] in = new Tensor[n.inputs().size()];
            boolean constant = true;
            for (int i = 0; i < in.length && constant; i++) {
                if (n.input(i).isEmpty()) continue;
                in[i] = value(n.input(i), g, producer, folded, ctx);
                constant = in[i] != null;
            }
            if (constant) {
                try {
                    Tensor[] outs = OpRegistry.get(n).kernel().run(n, in, ctx);
                    for (int i = 0; i < outs.length && i < n.outputs().size(); i++) folded.put(n.outputs().get(i), outs[i]);
                    r = folded.get(name);
                } catch (RuntimeException e) {
                    // an op the engine cannot fold leaves this layer out of the chart rather than failing the gate
                    r = null;
                }
            }
        }
        folded.put(name, r);
        return r;
    }

    /** The largest initializer {@code name} is computed from (itself when it is one). */
    private static String source(String name, Graph g, Map<String, Node> producer) {
        if (g.initializer(name) != null) return name;
        String best = name;
        long size = -1;
        java.util.ArrayDeque<String> pending = new java.util.ArrayDeque<>(java.util.List.of(name));
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!pending.isEmpty()) {
            String v = pending.pop();
            if (!seen.add(v)) continue;
            Tensor t = g.initializer(v);
            if (t != null) {
                if (t.size() > size) {
                    size = t.size();
                    best = v;
                }
            } else if (producer.containsKey(v)) for (String in : producer.get(v).inputs()) if (!in.isEmpty()) pending.push(in);
        }
        return best;
    }
}
