package io.nnzip.engine;

import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.List;
import java.util.Map;

/**
 * Finds the binarized layers of a standard ONNX graph and hands them to the bit kernel. A layer qualifies when
 * <ul>
 * <li>it is a group-1 2-D Conv, or a Gemm (transB = 1, no transA, alpha = beta = 1);</li>
 * <li>its input is {@code Where(Greater(x, t), hi, lo)} with scalar constants and lo = 0 ({0,1} activations) or
 * lo = −hi (±1 activations), which is how nnzip writes a binarized activation that ONNX Runtime can run;</li>
 * <li>its weight is constant (an initializer or a small constant subgraph such as Cast → Mul) and every output
 * channel's weights are ±α for one α.</li>
 * </ul>
 * Such a node becomes {@link BinaryOps#OP} reading x directly; the Where/Greater pair goes when nothing else reads
 * it. Nothing is hard-coded to the models nnzip writes: any graph with this shape is lowered, others are left as is.
 */
public final class BinaryLowering {
    private BinaryLowering() {}

    /** Lowers in place; returns the number of layers now running on bits. */
    public static int apply(Graph g, int opset) {
        int lowered = 0;
        Map<String, Node> producers = g.producers();
        for (Node n : List.copyOf(g.nodes())) {
            boolean gemm = n.opType().equals("Gemm");
            if (!n.domain().isEmpty() || !(gemm || n.opType().equals("Conv")) || n.inputs().size() < 2) continue;
            if (gemm && (n.attrInt("transA", 0) != 0 || n.attrInt("transB", 0) != 1 || n.attrFloat("alpha", 1f) != 1f || n.attrFloat("beta", 1f) != 1f)) continue;
            if (!gemm && n.attrInt("group", 1) != 1) continue;
            Node where = producers.get(n.input(0));
            if (where == null || !where.opType().equals("Where") || where.inputs().size() != 3) continue;
            Node greater = producers.get(where.input(0));
            Float t = scalar(g, greater == null || !greater.opType().equals("Greater") ? null : greater.input(1));
            Float hi = scalar(g, where.input(1)), lo = scalar(g, where.input(2));
            if (t == null || hi == null || lo == null || hi <= 0 || !(lo == 0f || lo == -hi)) continue;
            Tensor w = ConstantValue.of(g, n.input(1), producers, opset);
            if (w == null || w.rank() != (gemm ? 2 : 4) || !signRows(w.floats(), w.shape()[0])) continue;
            float[] scaled = w.floats().clone();
            for (int i = 0; i < scaled.length; i++) scaled[i] *= hi;
            int[] ws = gemm ? new int[] {w.shape()[0], w.shape()[1], 1, 1} : w.shape();
            String wn = g.freshName(n.input(1) + "_binary");
            g.initializers().put(wn, Tensor.of(scaled, ws));
            n.inputs().set(0, greater.input(0));
            n.inputs().set(1, wn);
            n.setOpType(BinaryOps.OP);
            n.set(Attribute.of(BinaryOps.THRESHOLD, t));
            n.set(Attribute.of(BinaryOps.PM1, lo == 0f ? 0L : 1L));
            if (gemm) {
                n.attributes().keySet().removeAll(List.of("alpha", "beta", "transA", "transB"));
                n.set(Attribute.of(BinaryOps.GEMM, 1L));
            }
            lowered++;
        }
        if (lowered > 0) removeDead(g);
        return lowered;
    }

    /**
     * After {@link Fusion}: a bit layer whose input only it reads, produced by a float Conv or another bit layer
     * (with their fused ReLU/MaxPool), gets it as packed bits — the producer thresholds its own epilogue's values
     * ({@link BinaryOps#BITS_OUT}), so the activation is written once, 32× smaller, and never re-read as floats.
     * A bit Gemm reading Flatten(bit layer) becomes a conv whose kernel covers the whole (H, W) plane, so the
     * flattened features stay bits too. Returns the number of bit-fed layers.
     */
    public static int chain(Graph g, int opset) {
        if (g.nodes().stream().noneMatch(n -> n.opType().equals(BinaryOps.OP))) return 0; // spares every float model the shape inference
        Map<String, ValueType> types;
        try {
            types = ShapeInference.infer(g, opset, 1, Map.of());
        } catch (RuntimeException e) {
            types = Map.of();
        }
        int chained = 0;
        for (Node n : List.copyOf(TopoSort.order(g.nodes()))) {
            if (!n.opType().equals(BinaryOps.OP) || !n.domain().isEmpty()) continue;
            Map<String, Node> producers = g.producers();
            Map<String, List<Node>> readers = g.consumers();
            String x = n.input(0);
            Node p = producers.get(x);
            if (p == null || g.outputNames().contains(x) || readers.getOrDefault(x, List.of()).size() != 1) continue;
            Node flatten = null;
            if (n.attrInt(BinaryOps.GEMM, 0) != 0 && p.opType().equals("Flatten") && p.domain().isEmpty() && p.attrInt("axis", 1) == 1) {
                ValueType z = types.get(p.input(0));
                Tensor w = g.initializer(n.input(1));
                Node q = producers.get(p.input(0));
                if (z == null || z.rank() != 4 || w == null || q == null || g.outputNames().contains(p.input(0))
                        || readers.getOrDefault(p.input(0), List.of()).size() != 1) continue;
                int[] zs = z.shape(), ws = w.shape();
                if (zs[1] * zs[2] * zs[3] != ws[1]) continue;
                flatten = p;
                p = q;
            }
            boolean floatConv = p.opType().equals("Conv") && p.domain().isEmpty() && p.outputs().size() == 1 && g.initializer(p.input(1)) != null
                    && g.initializer(p.input(1)).rank() == 4;
            boolean bitConv = p.opType().equals(BinaryOps.OP) && p.attrInt(BinaryOps.GEMM, 0) == 0;
            if (!(floatConv || bitConv) || p.has(BinaryOps.BITS_OUT)) continue;
            if (flatten != null) {
                int[] zs = types.get(flatten.input(0)).shape(), ws = g.initializer(n.input(1)).shape();
                String wn = g.freshName(n.input(1) + "_plane");
                g.initializers().put(wn, g.initializer(n.input(1)).reshape(ws[0], zs[1], zs[2], zs[3]));
                n.inputs().set(1, wn);
                n.inputs().set(0, flatten.input(0));
                g.nodes().remove(flatten);
            }
            p.set(Attribute.of(BinaryOps.BITS_OUT, n.attrFloat(BinaryOps.THRESHOLD, 0f)));
            if (floatConv) p.setOpType(BinaryOps.CONV_BITS);
            chained++;
        }
        if (chained > 0) g.removeUnusedInitializers();
        return chained;
    }

    /** The value of a one-element float constant, or null. */
    private static Float scalar(Graph g, String name) {
        Tensor t = name == null ? null : g.initializer(name);
        return t == null || t.size() != 1 || !t.dtype().isFloating() ? null : (float) t.getDouble(0);
    }

    /** Each of the {@code rows} rows holds only +α and −α for one α > 0 (to float rounding). */
    static boolean signRows(float[] w, int rows) {
        int cols = w.length / rows;
        for (int r = 0; r < rows; r++) {
            float a = Math.abs(w[r * cols]);
            if (a == 0f) return false;
            for (int i = 1; i < cols; i++) if (Math.abs(Math.abs(w[r * cols + i]) - a) > 1e-6f * a) return false;
        }
        return true;
    }

    /** Drops nodes whose outputs nobody reads (the Where/Greater pairs and weight subgraphs lowering bypassed). */
    static void removeDead(Graph g) {
        boolean changed = true;
        while (changed) {
            Map<String, List<Node>> readers = g.consumers();
            List<String> outs = g.outputNames();
            changed = g.nodes().removeIf(n -> n.outputs().stream().noneMatch(o -> readers.containsKey(o) || outs.contains(o)));
        }
        g.removeUnusedInitializers();
    }
}
