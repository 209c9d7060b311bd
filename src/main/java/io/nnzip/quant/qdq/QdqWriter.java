package io.nnzip.quant.qdq;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.quant.ChannelQuantizer;
import io.nnzip.quant.QuantParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link QdqPlan} into its graph as standard ONNX: per activation tensor one QuantizeLinear →
 * DequantizeLinear pair that every reader shares; per weight op an int8 weight initializer behind a per-channel
 * DequantizeLinear and an int32 bias behind its own DequantizeLinear (scale x_scale·w_scale). The producer keeps
 * writing the float value under a new name, so graph outputs keep their names and types.
 */
public final class QdqWriter {
    /** What was done to one weight op, for the report. */
    public record WeightLayer(Node node, String output, String weight, ChannelQuantizer.Result w, float inputScale, float[] biasDequantized) {}

    private QdqWriter() {}

    /**
     * @param params per calibrated activation tensor
     * @param biasOverride per weight op name, a corrected float bias to quantize instead of the graph's (may be empty)
     */
    public static List<WeightLayer> write(QdqPlan plan, Map<String, QuantParams> params, boolean perChannel,
                                          Map<String, float[]> biasOverride) {
        Graph g = plan.graph;
        List<WeightLayer> layers = new ArrayList<>();
        for (Node n : plan.weightOnly) layers.add(storeInt8(g, n, perChannel));
        for (Node n : plan.weightOps) layers.add(quantizeWeights(g, n, params.get(plan.scaleSource(n.input(0))), perChannel, biasOverride.get(n.name())));
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        for (String t : plan.activations) {
            QuantParams p = params.get(plan.scaleSource(t));
            if (p == null) continue;
            insertPair(g, t, p, producers.get(t), consumers.getOrDefault(t, List.of()));
        }
        g.removeUnusedInitializers();
        TopoSort.sort(g);
        return layers;
    }

    static void insertPair(Graph g, String t, QuantParams p, Node producer, List<Node> readers) {
        String scale = g.freshName(t + "_scale");
        g.initializers().put(scale, p.scaleTensor());
        String zp = g.freshName(t + "_zp");
        g.initializers().put(zp, p.zeroPointTensor());
        String q = g.freshName(t + "_q");
        GraphEdits.Cut cut = GraphEdits.interpose(g, t, producer, readers, "_f", "_dq");
        String source = cut.in(), deq = cut.out();
        // Q/DQ nodes stay unnamed (names are optional in ONNX and cost bytes in small models)
        g.nodes().add(new Node("", "QuantizeLinear", List.of(source, scale, zp), List.of(q)));
        g.nodes().add(new Node("", "DequantizeLinear", List.of(q, scale, zp), List.of(deq)));
        // Shape only reads the dimensions: reading the integer tensor spares a DequantizeLinear at run time
        for (Node r : readers) if (r.opType().equals("Shape")) r.inputs().replaceAll(s -> s.equals(t) || s.equals(deq) ? q : s);
    }

    static WeightLayer quantizeWeights(Graph g, Node n, QuantParams in, boolean perChannel, float[] biasOverride) {
        String wName = n.input(1);
        int axis = QuantizableOps.weightChannelAxis(n);
        ChannelQuantizer.Result r = ChannelQuantizer.quantize(g.initializer(wName), axis, perChannel, DType.INT8);
        n.inputs().set(1, dequantized(g, wName, r.q(), r.params()));
        float[] biasDeq = null;
        String biasName = n.input(2);
        boolean biasVector = !biasName.isEmpty() && g.isInitializer(biasName) && g.initializer(biasName).rank() == 1
                && g.initializer(biasName).size() == r.q().dim(axis);
        if (in != null && in.perTensor() && biasVector && !n.opType().equals("MatMul")) {
            float[] b = biasOverride != null ? biasOverride : g.initializer(biasName).toFloats();
            biasDeq = new float[b.length];
            float[] wScale = perChannel ? r.params().scale() : filled(b.length, r.params().scale()[0]);
            Tensor qb = ChannelQuantizer.quantizeBias(b, in.scale()[0], wScale, null, biasDeq);
            float[] bs = new float[b.length];
            for (int c = 0; c < b.length; c++) bs[c] = in.scale()[0] * wScale[c];
            QuantParams bp = new QuantParams(DType.INT32, bs, new int[b.length], 0, 0);
            n.inputs().set(2, dequantized(g, biasName, qb, bp));
        } else if (biasOverride != null && !biasName.isEmpty()) {
            String nb = g.freshName(biasName + "_corrected");
            g.initializers().put(nb, Tensor.of(biasOverride, biasOverride.length));
            n.inputs().set(2, nb);
        }
        return new WeightLayer(n, n.output(0), wName, r, in == null ? Float.NaN : in.scale()[0], biasDeq);
    }

    /** int8 weight storage for a layer that computes in float (ORT folds the DequantizeLinear at load). */
    static WeightLayer storeInt8(Graph g, Node n, boolean perChannel) {
        String wName = n.input(1);
        ChannelQuantizer.Result r = ChannelQuantizer.quantize(g.initializer(wName), QuantizableOps.weightChannelAxis(n), perChannel, DType.INT8);
        n.inputs().set(1, dequantized(g, wName, r.q(), r.params()));
        return new WeightLayer(n, n.output(0), wName, r, Float.NaN, null);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Adds {@code q} as an initializer behind a DequantizeLinear and returns the float value's name. */
    static String dequantized(Graph g, String base, Tensor q, QuantParams p) {
        String qn = g.freshName(base + "_q");
        g.initializers().put(qn, q);
        String sn = g.freshName(base + "_scale");
        g.initializers().put(sn, p.scaleTensor());
        List<String> ins = new ArrayList<>(List.of(qn, sn));
        // int32 bias zero points are always 0, the default; leaving them out keeps small models small (weights keep
        // theirs: ORT's QGemm fusion requires a weight zero point shaped like the scale)
        if (p.type() != DType.INT32) {
            String zn = g.freshName(base + "_zp");
            g.initializers().put(zn, p.zeroPointTensor());
            ins.add(zn);
        }
        String out = g.freshName(base + "_dq");
        Node dq = new Node("", "DequantizeLinear", ins, List.of(out));
        if (!p.perTensor()) dq.set(Attribute.of("axis", (long) p.axis()));
        g.nodes().add(dq);
        return out;
    }

    /** Parameter table in a stable order, for metadata and reports. */
    public static Map<String, QuantParams> ordered(QdqPlan plan, Map<String, QuantParams> params) {
        Map<String, QuantParams> m = new LinkedHashMap<>();
        for (String t : plan.activations) if (params.containsKey(plan.scaleSource(t))) m.put(t, params.get(plan.scaleSource(t)));
        return m;
    }
}
