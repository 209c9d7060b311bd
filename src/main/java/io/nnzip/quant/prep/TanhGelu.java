package io.nnzip.quant.prep;

import static io.nnzip.quant.prep.Chains.isOp;
import static io.nnzip.quant.prep.Chains.only;
import static io.nnzip.quant.prep.Chains.single;

import io.nnzip.engine.ConstantValue;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces the exporter's exact GELU, 0.5·x·(1 + erf(x/√2)) written as Div √2 (or Mul 1/√2) → Erf → Add 1 → Mul x →
 * Mul 0.5, by ONNX Runtime's com.microsoft {@code FastGelu(x)} = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the
 * tanh approximation (|difference| ≤ 4.8·10⁻⁴ per value; any opset, unlike ONNX Gelu, which needs opset 20). ORT's
 * kernel for it is cheaper than its erf Gelu. An approximation, not the same function: by default only where the
 * GELU's output is quantized (through shape-only ops) with a step of at least {@link #STEPS_PER_DIFFERENCE} times the
 * largest difference, so that the change is under 1/16 of a step, against rounding's half step (the fixture ViTs'
 * steps are 0.0126–0.0140, 26–29× the difference). nnzip's engine runs FastGelu ({@code engine/ops/FastGeluOp}).
 */
public final class TanhGelu {
    private TanhGelu() {}

    /** max over x of |0.5·x·(1 + erf(x/√2)) − FastGelu(x)|, reached near x = ±2.70 (4.732·10⁻⁴), rounded up. */
    static final double MAX_DIFFERENCE = 4.8e-4;
    /** With {@code onlyUnderStep}: the smallest quantization step, in units of {@link #MAX_DIFFERENCE}, that hides it. */
    static final double STEPS_PER_DIFFERENCE = 16;

    /**
     * Rewrites in place; returns the number of GELUs replaced. {@code onlyUnderStep}: only GELUs whose output goes
     * (through shape-only ops) to a QuantizeLinear alone, with a step of at least 16× the largest difference.
     */
    public static int rewrite(Model m, boolean onlyUnderStep) {
        Graph g = m.graph();
        int done = 0;
        for (Node erf : List.copyOf(g.nodes()))
            if (erf.opType().equals("Erf") && erf.domain().isEmpty() && replace(g, m.opset(), erf, onlyUnderStep)) done++;
        if (done > 0) {
            m.opsets().putIfAbsent(QAttentionFusion.DOMAIN, 1L);
            GraphEdits.removeDeadNodes(g);
            g.removeUnusedInitializers();
        }
        return done;
    }

    private static boolean replace(Graph g, int opset, Node erf, boolean onlyUnderStep) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = Set.copyOf(g.outputNames());
        Node scale = producers.get(erf.input(0));
        if (!isOp(scale, "Div") && !isOp(scale, "Mul") || only(consumers, outs, scale, erf) == null) return false;
        Float c = scalar(g, producers, opset, scale.input(1));
        if (c == null || Math.abs((scale.opType().equals("Div") ? c : 1 / c) - Math.sqrt(2)) > 1e-4) return false;
        String x = scale.input(0);
        Node plus = single(consumers, outs, erf);
        if (!isOp(plus, "Add") || !Float.valueOf(1f).equals(other(g, producers, opset, plus, erf.output(0)))) return false;
        Node times = single(consumers, outs, plus);
        if (!isOp(times, "Mul") || !(times.input(0).equals(x) && times.input(1).equals(plus.output(0))
                || times.input(1).equals(x) && times.input(0).equals(plus.output(0)))) return false;
        Node half = single(consumers, outs, times);
        if (!isOp(half, "Mul") || !Float.valueOf(0.5f).equals(other(g, producers, opset, half, times.output(0)))) return false;
        if (onlyUnderStep && quantStep(g, producers, consumers, outs, opset, half) < STEPS_PER_DIFFERENCE * MAX_DIFFERENCE) return false;
        Node fast = new Node(half.name().isEmpty() ? half.output(0) + "_fastgelu" : half.name(), "FastGelu", QAttentionFusion.DOMAIN,
                List.of(x), List.of(half.output(0)));
        g.nodes().set(g.nodes().indexOf(half), fast);
        // Div/Mul, Erf, Add and the first Mul now have no readers
        return true;
    }

    private static final Set<String> SHAPE_ONLY = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose");

    /** The smallest step of the QuantizeLinear that alone reads {@code n}'s output through shape-only ops; 0 if none. */
    private static double quantStep(Graph g, Map<String, Node> producers, Map<String, List<Node>> consumers, Set<String> outs, int opset, Node n) {
        Node c = single(consumers, outs, n);
        while (c != null && c.domain().isEmpty() && SHAPE_ONLY.contains(c.opType())) c = single(consumers, outs, c);
        if (!isOp(c, "QuantizeLinear") || c.inputs().size() < 2) return 0;
        Tensor t = ConstantValue.of(g, c.input(1), producers, opset);
        if (t == null || t.size() == 0) return 0;
        double min = Double.MAX_VALUE;
        for (float v : t.toFloats()) min = Math.min(min, Math.abs(v));
        return min;
    }

    /** The scalar constant operand of a binary node whose other operand is {@code from}. */
    private static Float other(Graph g, Map<String, Node> producers, int opset, Node n, String from) {
        if (n.inputs().size() != 2) return null;
        String o = n.input(0).equals(from) ? n.input(1) : n.input(1).equals(from) ? n.input(0) : null;
        return o == null ? null : scalar(g, producers, opset, o);
    }

    private static Float scalar(Graph g, Map<String, Node> producers, int opset, String name) {
        Tensor t = ConstantValue.of(g, name, producers, opset);
        return t == null || t.size() != 1 ? null : t.toFloats()[0];
    }
}
