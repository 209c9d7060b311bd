package io.nnzip.quant.qat;

import io.nnzip.engine.ops.FakeQuantOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.quant.QuantMath;
import io.nnzip.quant.QuantParams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training-time twin of a QDQ model: the float graph with one FakeQuantize node on every activation tensor
 * the QDQ export quantizes (same tensor names, same scale and zero point), so the tensor keeps its name and every
 * reader sees the fake-quantized value. Scale and zero point are float scalar initializers that training edits.
 */
public final class FakeQuantGraph {
    /** One inserted node: the activation tensor, its integer type's range, the scale and zero-point initializers. */
    public record Site(String tensor, QuantParams initial, String scale, String zeroPoint, String input) implements java.io.Serializable {}

    private FakeQuantGraph() {}

    /** Inserts FakeQuantize after each (per-tensor) entry of {@code params} into {@code m}'s graph; returns the sites. */
    public static Map<String, Site> insert(Model m, Map<String, QuantParams> params) {
        Graph g = m.graph();
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Site> sites = new LinkedHashMap<>();
        for (Map.Entry<String, QuantParams> e : params.entrySet()) {
            String t = e.getKey();
            QuantParams p = e.getValue();
            if (!p.perTensor()) throw new IllegalArgumentException("fake-quantized activations are per-tensor: " + t);
            String scale = g.freshName(t + "_fq_scale"), zp = g.freshName(t + "_fq_zp");
            g.initializers().put(scale, Tensor.scalar(p.scale()[0]));
            g.initializers().put(zp, Tensor.scalar((float) p.zeroPoint()[0]));
            Node prod = producers.get(t);
            GraphEdits.Cut cut = GraphEdits.interpose(g, t, prod, consumers.getOrDefault(t, List.of()), "_fq_in", "_fq");
            String in = cut.in(), out = cut.out();
            Node fq = new Node(g.freshName(t + "_fakequant"), FakeQuantOps.OP, List.of(in, scale, zp), List.of(out));
            fq.set(Attribute.of("qmin", (long) QuantMath.qmin(p.type())));
            fq.set(Attribute.of("qmax", (long) QuantMath.qmax(p.type())));
            g.nodes().add(fq);
            sites.put(t, new Site(t, p, scale, zp, in));
        }
        TopoSort.sort(g);
        return sites;
    }

    /** The current parameters of a site, as the QDQ export writes them. */
    public static QuantParams current(Graph g, Site s) {
        float scale = g.initializer(s.scale()).toFloats()[0];
        int zp = Math.round(g.initializer(s.zeroPoint()).toFloats()[0]);
        return new QuantParams(s.initial().type(), new float[] {scale}, new int[] {zp}, -1, 0);
    }
}
