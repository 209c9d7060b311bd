package io.nnzip.eval;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The size and cost facts of a model: parameters and bytes per initializer, sparsity (share of exact zeros),
 * MACs per layer from inferred shapes (symbolic batch = 1), node counts by op type.
 */
public final class ModelStats {
    public record TensorStat(String name, String dtype, int[] shape, long params, long bytes, long zeros) {
        public double sparsity() { return params == 0 ? 0 : (double) zeros / params; }
    }

    public record LayerStat(String node, String op, long macs, String outputShape) {}

    public final List<TensorStat> tensors = new ArrayList<>();
    public final List<LayerStat> layers = new ArrayList<>();
    public final Map<String, Integer> opCounts = new TreeMap<>();
    public long params, bytes, zeros, macs;
    /** Why MACs are incomplete, or null when every layer's shapes were inferred. */
    public String macsNote;

    public static ModelStats of(Model m) { return of(m, 1); }

    public static ModelStats of(Model m, int batch) {
        ModelStats s = new ModelStats();
        Graph g = m.graph();
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            Tensor t = e.getValue();
            long z = countZeros(t);
            TensorStat ts = new TensorStat(e.getKey(), t.dtype().lower(), t.shape(), t.size(), t.byteSize(), z);
            s.tensors.add(ts);
            s.params += t.size();
            s.bytes += t.byteSize();
            s.zeros += z;
        }
        for (Node n : g.nodes()) s.opCounts.merge(n.opType(), 1, Integer::sum);
        Map<String, ValueType> types = null;
        try {
            types = ShapeInference.infer(g, m.opset(), batch, Map.of());
        } catch (NnzipException e) {
            s.macsNote = "shape inference stopped: " + e.getMessage();
        }
        for (Node n : TopoSort.order(g.nodes())) {
            long mac = -1;
            String outShape = "?";
            if (types != null) {
                ValueType[] in = new ValueType[n.inputs().size()];
                for (int i = 0; i < in.length; i++) in[i] = n.input(i).isEmpty() ? null : types.get(n.input(i));
                ValueType[] out = new ValueType[n.outputs().size()];
                for (int i = 0; i < out.length; i++) out[i] = types.get(n.output(i));
                mac = Macs.of(n, in, out);
                if (out.length > 0 && out[0] != null && out[0].hasShape()) outShape = java.util.Arrays.toString(out[0].shape());
            } else if (!isMacOp(n.opType())) mac = 0;
            if (mac > 0) s.macs += mac;
            if (mac != 0) s.layers.add(new LayerStat(n.name().isEmpty() ? n.output(0) : n.name(), n.opType(), mac, outShape));
            if (mac < 0 && s.macsNote == null) s.macsNote = "shapes unknown at " + n.describe();
        }
        return s;
    }

    static boolean isMacOp(String op) {
        return switch (op) {
            case "Conv", "ConvTranspose", "Gemm", "MatMul", "ConvInteger", "MatMulInteger", "QLinearConv", "QLinearMatMul", "MatMulNBits" -> true;
            default -> false;
        };
    }

    static long countZeros(Tensor t) {
        long z = 0;
        switch (t.data()) {
            case float[] f -> { for (float v : f) if (v == 0f) z++; }
            case String[] ignored -> { }
            default -> { for (int i = 0; i < t.size(); i++) if (t.getDouble(i) == 0) z++; }
        }
        return z;
    }

    public double sparsity() { return params == 0 ? 0 : (double) zeros / params; }

    public Map<String, Object> toJson() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("params", params);
        r.put("macs", macs);
        r.put("bytes", bytes);
        r.put("sparsity", sparsity());
        if (macsNote != null) r.put("macs_note", macsNote);
        r.put("op_counts", opCounts);
        List<Map<String, Object>> ls = new ArrayList<>();
        for (LayerStat l : layers) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("node", l.node());
            x.put("op", l.op());
            x.put("macs", l.macs());
            x.put("output_shape", l.outputShape());
            ls.add(x);
        }
        r.put("layers", ls);
        List<Map<String, Object>> ts = new ArrayList<>();
        for (TensorStat t : tensors) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", t.name());
            x.put("dtype", t.dtype());
            x.put("shape", t.shape());
            x.put("params", t.params());
            x.put("bytes", t.bytes());
            x.put("sparsity", t.sparsity());
            ts.add(x);
        }
        r.put("tensors", ts);
        return r;
    }
}
