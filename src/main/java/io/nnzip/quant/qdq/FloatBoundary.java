package io.nnzip.quant.qdq;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.quant.QuantParams;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a float layer hands over to the integer chain, ORT's QDQ propagation moves the first QuantizeLinear up
 * across a MaxPool, leaving a uint8 MaxPool in NCHW layout, which only ORT's slow generic pooling kernel runs.
 * Two exact rewrites keep the pool in float (where ORT's blocked NCHWc kernels are fast):
 * <ol>
 * <li>{@link #swapReluPool}: a float Conv → Relu → MaxPool becomes Conv → MaxPool → Relu (ReLU is monotone, so
 * max and ReLU commute);</li>
 * <li>{@link #keepRelu}: the Q after such a Relu gets zero point ≥ 1, so ORT does not fold the Relu into the Q
 * (it only does for zero point = qmin) and the Relu stops the propagation.</li>
 * </ol>
 */
public final class FloatBoundary {
    private FloatBoundary() {}

    /** Swaps Relu and MaxPool after each float (excluded) Conv; returns how many. */
    public static int swapReluPool(Graph g, Set<String> floatNodes) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        int swapped = 0;
        for (Node relu : List.copyOf(g.nodes())) {
            if (!relu.opType().equals("Relu")) continue;
            Node conv = producers.get(relu.input(0));
            if (conv == null || !conv.opType().equals("Conv") || !floatNodes.contains(conv.name())) continue;
            List<Node> after = consumers.getOrDefault(relu.output(0), List.of());
            if (after.size() != 1 || !after.get(0).opType().equals("MaxPool") || g.outputNames().contains(relu.output(0))) continue;
            if (consumers.getOrDefault(relu.input(0), List.of()).size() != 1) continue;
            Node pool = after.get(0);
            if (pool.outputs().size() > 1 && !pool.output(1).isEmpty()) continue;
            String x = relu.input(0), r = relu.output(0), p = pool.output(0);
            pool.inputs().set(0, x);
            pool.outputs().set(0, r);
            relu.inputs().set(0, r);
            relu.outputs().set(0, p);
            swapped++;
        }
        if (swapped > 0) io.nnzip.ir.TopoSort.sort(g);
        return swapped;
    }

    /** Moves the zero point of uint8 Q's on the outputs of unfused Relus off 0 (scale refit to keep the max). */
    public static void keepRelu(Graph g, Map<String, QuantParams> params) {
        Map<String, Node> producers = g.producers();
        for (Map.Entry<String, QuantParams> e : params.entrySet()) {
            Node prod = producers.get(e.getKey());
            QuantParams p = e.getValue();
            if (prod == null || !prod.opType().equals("Relu") || !p.perTensor() || p.type() != io.nnzip.ir.DType.UINT8 || p.zeroPoint()[0] != 0) continue;
            float max = p.scale()[0] * 255;
            e.setValue(new QuantParams(p.type(), new float[] {max / 254}, new int[] {1}, -1, 0));
        }
    }
}
