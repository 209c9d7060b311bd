package io.nnzip.quant;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.ir.canon.HoistConstants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a float32 graph into a float16 one: every float source (initializers, Constant values, Casts to float) becomes
 * float16, so type propagation makes every float value downstream float16 too. With {@code keepIo} the graph's float
 * inputs and outputs stay float32 behind one Cast each, so callers feed and read what they did before. ONNX Runtime's
 * CPU provider runs nodes without a float16 kernel by casting around them itself, so any op keeps working.
 */
public final class Float16Graph {
    /** Largest finite float16; larger weights are clamped there rather than becoming infinities. */
    static final float HALF_MAX = 65504f;

    /** Inputs that the ONNX schemas type as float32 whatever the data type (scales, sizes, boxes, thresholds). */
    private static final Map<String, Set<Integer>> FLOAT32_ONLY = Map.of("Resize", Set.of(2), "Upsample", Set.of(1),
            "NonMaxSuppression", Set.of(0, 1, 3, 4));
    /** Ops whose schemas have no float16 type: on float values they stay float32 between Casts. */
    private static final Set<String> FLOAT32_OPS = Set.of("Range");
    /** Quantized graphs' ops: their scales are float32 by schema and their float side is a dequantized model. */
    private static final Set<String> QUANTIZED = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv",
            "QLinearMatMul", "MatMulInteger", "ConvInteger", "MatMulNBits");

    private Float16Graph() {}

    /** What changed: converted initializers, their float32 and float16 bytes. */
    public record Result(int tensors, long floatBytes, long halfBytes) {}

    private record Slot(Node node, int input) {}

    public static Result convert(Model m, boolean keepIo) {
        Graph g = m.graph();
        for (Node n : g.nodes())
            if (QUANTIZED.contains(n.opType()))
                throw new NnzipException("--scheme fp16 converts float32 models; " + n.describe() + " is a quantized op: convert the float model instead");
        Map<String, DType> types = floatTypes(m);
        // inputs that must stay float32, the float32 values of the constants among them, and the float32 islands
        List<Slot> slots = new ArrayList<>();
        List<Node> islands = new ArrayList<>();
        for (Node n : g.nodes()) {
            for (int i : FLOAT32_ONLY.getOrDefault(n.opType(), Set.of())) if (n.hasInput(i)) slots.add(new Slot(n, i));
            if (!FLOAT32_OPS.contains(n.opType())) continue;
            boolean any = false;
            for (int i = 0; i < n.inputs().size(); i++)
                if (n.hasInput(i) && types.get(n.input(i)) == DType.FLOAT) {
                    slots.add(new Slot(n, i));
                    any = true;
                }
            if (any) islands.add(n);
        }
        Map<String, Tensor> originals = new HashMap<>();
        Map<String, Node> producers = g.producers();
        for (Slot sl : slots) {
            String v = sl.node().input(sl.input());
            Tensor t = g.initializer(v);
            if (t == null && producers.get(v) instanceof Node p && p.opType().equals("Constant")) t = HoistConstants.value(p);
            if (t != null && t.dtype() == DType.FLOAT) originals.put(v, t);
        }
        int count = 0;
        long fb = 0;
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            if (e.getValue().dtype() != DType.FLOAT) continue;
            fb += 4L * e.getValue().size();
            e.setValue(half(e.getValue()));
            count++;
        }
        for (Node n : g.nodes()) halfSources(n);
        g.valueInfo().replaceAll((k, v) -> v.dtype() == DType.FLOAT ? new ValueInfo(k, DType.FLOAT16, v.dims()) : v);
        for (int i = 0; i < g.inputs().size(); i++) {
            ValueInfo in = g.inputs().get(i);
            if (in.dtype() != DType.FLOAT || g.isInitializer(in.name())) continue;
            if (!keepIo) {
                g.inputs().set(i, new ValueInfo(in.name(), DType.FLOAT16, in.dims()));
                continue;
            }
            String h = g.freshName(in.name() + "_fp16");
            Node cast = cast(g, in.name(), h, DType.FLOAT16);
            GraphEdits.replaceUsesExcept(g, in.name(), h, cast);
            g.nodes().addFirst(cast);
        }
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfo v : g.inputs()) graphInputs.add(v.name());
        for (int i = 0; i < g.outputs().size(); i++) {
            ValueInfo out = g.outputs().get(i);
            if (out.dtype() != DType.FLOAT || graphInputs.contains(out.name())) continue;
            if (!keepIo) {
                g.outputs().set(i, new ValueInfo(out.name(), DType.FLOAT16, out.dims()));
                continue;
            }
            String h = g.freshName(out.name() + "_fp16");
            for (Node n : g.nodes()) n.outputs().replaceAll(s -> s.equals(out.name()) ? h : s);
            GraphEdits.replaceUses(g, out.name(), h);
            g.nodes().add(cast(g, h, out.name(), DType.FLOAT));
        }
        keepFloat32(g, slots, islands, originals, types);
        return new Result(count, fb, fb / 2);
    }

    /**
     * The float32 inputs get their constant's float32 value (an initializer of its own, so a constant shared with
     * float16 readers is not changed for them) or a Cast of the now float16 value; an island's float outputs are cast
     * back to float16 under their own names.
     */
    private static void keepFloat32(Graph g, List<Slot> slots, List<Node> islands, Map<String, Tensor> originals, Map<String, DType> types) {
        Map<String, String> wide = new HashMap<>();
        for (Slot sl : slots) {
            String v = sl.node().input(sl.input());
            String w = wide.get(v);
            if (w == null && originals.containsKey(v)) {
                w = g.freshName(v + "_fp32");
                g.initializers().put(w, originals.get(v));
            } else if (w == null) {
                w = g.freshName(v + "_fp32");
                g.nodes().add(g.nodes().indexOf(sl.node()), cast(g, v, w, DType.FLOAT));
            }
            wide.put(v, w);
            sl.node().inputs().set(sl.input(), w);
        }
        for (Node n : islands)
            for (int j = 0; j < n.outputs().size(); j++) {
                String o = n.output(j);
                if (o.isEmpty() || types.get(o) != DType.FLOAT) continue;
                String w = g.freshName(o + "_fp32");
                n.outputs().set(j, w);
                g.nodes().add(g.nodes().indexOf(n) + 1, cast(g, w, o, DType.FLOAT16));
            }
        Set<String> used = new HashSet<>();
        for (Node n : g.nodes()) used.addAll(n.inputs());
        used.addAll(g.outputNames());
        for (String v : originals.keySet()) if (!used.contains(v) && g.input(v) == null) g.initializers().remove(v);
    }

    /** Element types of the float32 model's values, as far as shape inference gets (constants' always). */
    private static Map<String, DType> floatTypes(Model m) {
        Map<String, DType> out = new HashMap<>();
        try {
            io.nnzip.engine.ShapeInference.infer(m).forEach((k, v) -> { if (v.dtype() != null) out.put(k, v.dtype()); });
        } catch (RuntimeException e) {
            // ops the engine cannot type: islands are then found from the constants alone
        }
        m.graph().initializers().forEach((k, v) -> out.putIfAbsent(k, v.dtype()));
        for (Node n : m.graph().nodes()) if (n.opType().equals("Constant") && HoistConstants.value(n) instanceof Tensor t) out.putIfAbsent(n.output(0), t.dtype());
        return out;
    }

    /**
     * The fp16 scheme: the canonical float model converted whole, one report row per weight layer. The layers'
     * outputs get float16 value infos so that the per-layer report can read them from ONNX Runtime.
     */
    public static WeightSchemes.Applied apply(Model floatModel, QuantConfig cfg, java.util.function.Consumer<String> log) {
        Model out = floatModel.copy();
        Graph g = out.graph();
        List<io.nnzip.quant.report.LayerReport.Row> rows = new ArrayList<>();
        Set<String> outs = new HashSet<>(g.outputNames());
        for (Node n : io.nnzip.quant.weight.WeightOnlyQuantizer.weightOps(g, cfg.exclude).keySet()) {
            float[] w = g.initializer(n.input(1)).floats();
            float[] h = new float[w.length];
            for (int i = 0; i < w.length; i++) h[i] = Float.float16ToFloat(toHalf(w[i]));
            rows.add(new io.nnzip.quant.report.LayerReport.Row(n.name(), n.opType(), n.output(0), 16, 1f, 1f, 0, w, h, 2L * w.length, "float16"));
            if (!outs.contains(n.output(0))) g.valueInfo().put(n.output(0), new ValueInfo(n.output(0), DType.FLOAT, null));
        }
        Result r = convert(out, !cfg.halfIo);
        Map<String, Object> notes = new java.util.LinkedHashMap<>();
        notes.put("float16_tensors", r.tensors());
        notes.put("io", cfg.halfIo ? "float16" : "float32 (Cast at the boundary)");
        cfg.record(out, Map.of());
        log.accept("converted " + r.tensors() + " initializers to float16; inputs/outputs " + notes.get("io"));
        return new WeightSchemes.Applied(out, floatModel, rows, notes);
    }

    /**
     * The inverse for a model that arrives in float16 or bfloat16 (a {@code model.half()} export, a converted one):
     * every half-precision initializer, Constant, Cast target, graph input, output and value info becomes float32,
     * which holds each half value exactly, so the model computes the same function at float32 precision and the
     * float32 passes (int8, weight-only schemes) apply. Returns whether anything was half.
     */
    public static boolean widen(Model m) {
        Graph g = m.graph();
        boolean any = false;
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            if (!isHalf(e.getValue().dtype())) continue;
            e.setValue(Tensor.of(e.getValue().toFloats(), e.getValue().shape()));
            any = true;
        }
        for (Node n : g.nodes()) any |= widenSource(n);
        g.valueInfo().replaceAll((k, v) -> isHalf(v.dtype()) ? new ValueInfo(k, DType.FLOAT, v.dims()) : v);
        for (List<ValueInfo> io : List.of(g.inputs(), g.outputs()))
            for (int i = 0; i < io.size(); i++)
                if (isHalf(io.get(i).dtype())) {
                    io.set(i, new ValueInfo(io.get(i).name(), DType.FLOAT, io.get(i).dims()));
                    any = true;
                }
        return any;
    }

    private static boolean isHalf(DType t) { return t == DType.FLOAT16 || t == DType.BFLOAT16; }

    private static boolean widenSource(Node n) {
        switch (n.opType()) {
            case "Constant", "ConstantOfShape" -> {
                if (n.attr("value") != null && n.attr("value").value() instanceof Tensor t && isHalf(t.dtype())) {
                    n.set(Attribute.of("value", Tensor.of(t.toFloats(), t.shape())));
                    return true;
                }
            }
            case "Cast" -> {
                long to = n.attrInt("to", 0);
                if (to == DType.FLOAT16.onnx || to == DType.BFLOAT16.onnx) {
                    n.set(Attribute.of("to", (long) DType.FLOAT.onnx));
                    return true;
                }
            }
            default -> { }
        }
        return false;
    }

    /** float16 bits of {@code f}, finite values clamped to the float16 range. */
    public static short toHalf(float f) {
        return Float.floatToFloat16(Float.isFinite(f) ? Math.max(-HALF_MAX, Math.min(HALF_MAX, f)) : f);
    }

    static Tensor half(Tensor t) {
        float[] x = t.floats();
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = toHalf(x[i]);
        return new Tensor(DType.FLOAT16, t.shape(), h);
    }

    /** Nodes that create float values from attributes: make them create float16 ones. */
    private static void halfSources(Node n) {
        switch (n.opType()) {
            case "Constant", "ConstantOfShape" -> {
                Attribute v = n.attr("value");
                if (v != null && v.value() instanceof Tensor t && t.dtype() == DType.FLOAT) n.set(Attribute.of("value", half(t)));
                else if (n.has("value_float")) {
                    n.set(Attribute.of("value", half(Tensor.of(new float[] {n.attrFloat("value_float", 0)}))));
                    n.attributes().remove("value_float");
                } else if (n.has("value_floats")) {
                    n.set(Attribute.of("value", half(floats(n.attrFloats("value_floats", new float[0])))));
                    n.attributes().remove("value_floats");
                } else if (v == null && n.opType().equals("ConstantOfShape")) {
                    n.set(Attribute.of("value", half(Tensor.of(new float[] {0f}, 1))));
                }
            }
            case "Cast" -> {
                if (n.attrInt("to", 0) == DType.FLOAT.onnx) n.set(Attribute.of("to", (long) DType.FLOAT16.onnx));
            }
            default -> { }
        }
    }

    private static Tensor floats(float[] v) { return Tensor.of(v, v.length); }

    private static Node cast(Graph g, String in, String out, DType to) {
        Node n = new Node(g.freshName("Cast_" + out), "Cast", new ArrayList<>(List.of(in)), new ArrayList<>(List.of(out)));
        n.set(Attribute.of("to", (long) to.onnx));
        return n;
    }
}
