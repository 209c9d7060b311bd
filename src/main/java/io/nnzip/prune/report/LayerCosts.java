package io.nnzip.prune.report;

import io.nnzip.engine.ValueType;
import io.nnzip.eval.Macs;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.ValueProbe;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MACs per layer from shapes observed in ONNX Runtime at a given batch (so every graph ORT runs can be costed,
 * whatever ops it uses), counted with the project's one MAC rule ({@link Macs}).
 */
public final class LayerCosts {
    private LayerCosts() {}

    /** Node label (name, or first output) → MACs, in node order; only layers with MACs. */
    public static Map<String, Long> macs(Model m, int batch) {
        Map<String, int[]> shapes = ValueProbe.shapes(m, batch);
        Graph g = m.graph();
        Map<String, Long> out = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            long mac = macs(g, shapes, n);
            if (mac > 0) out.put(n.name().isEmpty() ? n.output(0) : n.name(), mac);
        }
        return out;
    }

    /** MACs of node {@code n} of {@code g}, its values' shapes as {@link ValueProbe#shapes} gives them. */
    public static long macs(Graph g, Map<String, int[]> shapes, Node n) {
        ValueType[] in = new ValueType[n.inputs().size()];
        for (int i = 0; i < in.length; i++) in[i] = type(g, shapes, n.input(i));
        ValueType[] o = new ValueType[n.outputs().size()];
        for (int i = 0; i < o.length; i++) o[i] = type(g, shapes, n.output(i));
        return Macs.of(n, in, o);
    }

    public static long totalMacs(Model m, int batch) { return macs(m, batch).values().stream().mapToLong(Long::longValue).sum(); }

    private static ValueType type(Graph g, Map<String, int[]> shapes, String v) {
        if (v.isEmpty()) return null;
        Tensor t = g.initializer(v);
        if (t != null) return ValueType.constant(t);
        int[] s = shapes.get(v);
        return s == null ? null : new ValueType(null, s, null);
    }
}
