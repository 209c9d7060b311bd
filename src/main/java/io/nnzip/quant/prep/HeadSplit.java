package io.nnzip.quant.prep;

import io.nnzip.engine.ConstantValue;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gives every attention head its own projections, so no tensor is ever transposed into head-major layout.
 * Multi-head attention as PyTorch exports it (after {@link QkvSplit}, or with separate Q/K/V linears as in BERT):
 * Q = Transpose(Reshape(x·Wq + bq, [B, T, h, d]), [0, 2, 1, 3]), likewise K and V, then
 * Softmax(s · Q·Transpose(K, [0, 1, 3, 2])) · V → Transpose [0, 2, 1, 3] → Reshape [B, T, h·d]. Here head i reads
 * the columns i·d..(i+1)·d of Wq/Wk/Wv straight into a [B, T, d] tensor, runs its attention on that, and a Concat
 * along the last axis rebuilds [B, T, h·d] for the output projection. Same function, column for column; what changes
 * is ONNX Runtime's work: the four head transposes per block (copies of the whole activation) go away and K's
 * transpose folds into the score MatMul. With int8 the h·3 projections become QGemm behind the one QuantizeLinear
 * of x (see {@link LinearToGemm}), and their output is already float, so the transposes were pure float overhead.
 */
public final class HeadSplit {
    private HeadSplit() {}

    private static final long[] TO_HEADS = {0, 2, 1, 3};
    private static final long[] K_TRANSPOSED = {0, 1, 3, 2};

    /** One head-split projection: x·W + b reshaped to [B, T, h, d] and transposed to [B, h, T, d]. */
    private record Projection(String x, Tensor w, Tensor b, int heads, int dim, List<Node> nodes) {}

    /** Rewrites in place; returns how many attention blocks were split into heads. */
    public static int rewrite(Graph g, int opset) {
        Map<String, ValueType> shapes = ShapeInference.infer(g, opset, 1, Map.of());
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        Set<Node> dead = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Node, List<Node>> added = new IdentityHashMap<>();
        int done = 0;
        for (Node sm : g.nodes()) {
            if (!sm.opType().equals("Softmax") || dead.contains(sm)) continue;
            ValueType st = shapes.get(sm.output(0));
            if (st == null || !st.hasShape() || st.rank() != 4 || !lastAxis(sm, opset, 4)) continue;
            // backwards: optional scalar scale, the score product, K's transpose
            Node scale = null, qk = producers.get(sm.input(0));
            if (qk != null && (qk.opType().equals("Mul") || qk.opType().equals("Div")) && single(consumers, qk, g)) {
                scale = qk;
                int at = scalarOperand(g, producers, qk, opset);
                qk = at < 0 ? null : producers.get(qk.input(1 - at));
            }
            if (qk == null || !qk.opType().equals("MatMul") || !single(consumers, qk, g)) continue;
            Node kt = producers.get(qk.input(1));
            if (kt == null || !kt.opType().equals("Transpose") || !Arrays.equals(kt.attrInts("perm", null), K_TRANSPOSED) || !single(consumers, kt, g)) continue;
            // forwards: the value product, back to tokens, merged heads
            Node av = onlyReader(consumers, sm, g);
            if (av == null || !av.opType().equals("MatMul") || !av.input(0).equals(sm.output(0))) continue;
            Node merge = onlyReader(consumers, av, g);
            if (merge == null || !merge.opType().equals("Transpose") || !Arrays.equals(merge.attrInts("perm", null), TO_HEADS)) continue;
            Node flat = onlyReader(consumers, merge, g);
            if (flat == null || !flat.opType().equals("Reshape")) continue;
            Projection q = projection(g, shapes, consumers, producers, qk.input(0), opset);
            Projection k = projection(g, shapes, consumers, producers, kt.input(0), opset);
            Projection v = projection(g, shapes, consumers, producers, av.input(1), opset);
            if (q == null || k == null || v == null || !q.x.equals(k.x) || !q.x.equals(v.x)) continue;
            int h = q.heads, d = q.dim;
            if (k.heads != h || v.heads != h || k.dim != d || v.dim != d) continue;
            ValueType out = shapes.get(flat.output(0)), in = shapes.get(q.x);
            if (out == null || in == null || !out.hasShape() || !in.hasShape() || out.rank() != 3 || in.rank() != 3
                    || out.shape()[2] != h * d || out.shape()[1] != in.shape()[1]) continue;
            // short names: each head adds a dozen tensors and nodes, and their names are stored in the file
            String owner = sm.name().isEmpty() ? sm.output(0) : sm.name();
            String base = owner.contains("/") ? owner.substring(0, owner.lastIndexOf('/') + 1) : owner + "_";
            List<Node> nodes = new ArrayList<>();
            List<String> heads = new ArrayList<>();
            for (int i = 0; i < h; i++) {
                String p = base + "h" + i;
                String qi = slice(g, nodes, q, i, p + "_q"), ki = slice(g, nodes, k, i, p + "_k"), vi = slice(g, nodes, v, i, p + "_v");
                String kti = g.freshName(p + "_kt"), s = g.freshName(p + "_scores");
                nodes.add(new Node(p + "/KT", "Transpose", List.of(ki), List.of(kti)).set(Attribute.of("perm", 0L, 2L, 1L)));
                nodes.add(new Node(p + "/QK", "MatMul", List.of(qi, kti), List.of(s)));
                if (scale != null) {
                    String scaled = g.freshName(p + "_scaled");
                    List<String> ins = new ArrayList<>(scale.inputs());
                    ins.set(ins.indexOf(qk.output(0)), s);
                    nodes.add(new Node(p + "/Scale", scale.opType(), ins, List.of(scaled)));
                    s = scaled;
                }
                String a = g.freshName(p + "_probs"), o = g.freshName(p + "_out");
                nodes.add(new Node(p + "/Softmax", "Softmax", List.of(s), List.of(a)).set(Attribute.of("axis", 2L)));
                nodes.add(new Node(p + "/AV", "MatMul", List.of(a, vi), List.of(o)));
                heads.add(o);
            }
            nodes.add(new Node(base + "heads/Concat", "Concat", heads, List.of(flat.output(0))).set(Attribute.of("axis", 2L)));
            for (Projection pr : List.of(q, k, v)) dead.addAll(pr.nodes);
            dead.addAll(List.of(kt, qk, sm, av, merge, flat));
            if (scale != null) dead.add(scale);
            added.put(flat, nodes);
            done++;
        }
        if (done == 0) return 0;
        List<Node> rebuilt = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (added.containsKey(n)) rebuilt.addAll(added.get(n));
            if (!dead.contains(n)) rebuilt.add(n);
        }
        g.nodes().clear();
        g.nodes().addAll(rebuilt);
        GraphEdits.removeDeadNodes(g);
        g.removeUnusedInitializers();
        TopoSort.sort(g);
        return done;
    }

    /** Head {@code i}'s slice of a projection: x·W[:, i·d..(i+1)·d] + b[i·d..(i+1)·d], a [B, T, d] tensor. */
    private static String slice(Graph g, List<Node> nodes, Projection pr, int i, String part) {
        int d = pr.dim, rows = pr.w.dim(0), cols = pr.w.dim(1);
        float[] wf = pr.w.toFloats(), wi = new float[rows * d];
        for (int r = 0; r < rows; r++) System.arraycopy(wf, r * cols + i * d, wi, r * d, d);
        String wn = g.freshName(part + "_weight"), bn = g.freshName(part + "_bias");
        g.initializers().put(wn, Tensor.of(wi, rows, d));
        g.initializers().put(bn, Tensor.of(Arrays.copyOfRange(pr.b.toFloats(), i * d, (i + 1) * d), d));
        String prod = g.freshName(part + "_matmul"), out = g.freshName(part);
        nodes.add(new Node(part + "/MatMul", "MatMul", List.of(pr.x, wn), List.of(prod)));
        nodes.add(new Node(part + "/Add", "Add", List.of(prod, bn), List.of(out)));
        return out;
    }

    /** Matches Transpose(Reshape(MatMul(x, W) + b, [B, T, h, d]), [0, 2, 1, 3]) ending at {@code headTensor}. */
    private static Projection projection(Graph g, Map<String, ValueType> shapes, Map<String, List<Node>> consumers,
                                         Map<String, Node> producers, String headTensor, int opset) {
        Node tr = producers.get(headTensor);
        if (tr == null || !tr.opType().equals("Transpose") || !Arrays.equals(tr.attrInts("perm", null), TO_HEADS) || !single(consumers, tr, g)) return null;
        Node rs = producers.get(tr.input(0));
        if (rs == null || !rs.opType().equals("Reshape") || !single(consumers, rs, g)) return null;
        Node add = producers.get(rs.input(0));
        if (add == null || !add.opType().equals("Add") || !single(consumers, add, g)) return null;
        int mmAt = producers.get(add.input(0)) != null && producers.get(add.input(0)).opType().equals("MatMul") ? 0 : 1;
        Node mm = producers.get(add.input(mmAt));
        String bias = add.input(1 - mmAt);
        if (mm == null || !mm.opType().equals("MatMul") || !single(consumers, mm, g) || !g.isInitializer(mm.input(1)) || !g.isInitializer(bias)) return null;
        Tensor w = g.initializer(mm.input(1)), b = g.initializer(bias);
        ValueType hs = shapes.get(rs.output(0)), xs = shapes.get(mm.input(0));
        if (hs == null || xs == null || !hs.hasShape() || !xs.hasShape() || hs.rank() != 4 || xs.rank() != 3) return null;
        int h = hs.shape()[2], d = hs.shape()[3];
        if (h <= 1 || d <= 0 || w.rank() != 2 || w.dim(1) != h * d || b.size() != h * d || hs.shape()[1] != xs.shape()[1]) return null;
        return new Projection(mm.input(0), w, b, h, d, List.of(tr, rs, add, mm));
    }

    /** Whether a Softmax normalizes over the last axis of its rank-{@code rank} input (before opset 13 the axis flattens). */
    private static boolean lastAxis(Node sm, int opset, int rank) {
        long axis = sm.attrInt("axis", opset >= 13 ? -1 : 1);
        if (axis < 0) axis += rank;
        return axis == rank - 1;
    }

    /** Which input of a Mul/Div is a scalar constant (a Div only by its divisor), or -1. */
    private static int scalarOperand(Graph g, Map<String, Node> producers, Node n, int opset) {
        for (int i = n.opType().equals("Div") ? 1 : 0; i < 2; i++) {
            Tensor c = ConstantValue.of(g, n.input(i), producers, opset);
            if (c != null && c.size() == 1) return i;
        }
        return -1;
    }

    private static boolean single(Map<String, List<Node>> consumers, Node n, Graph g) {
        return consumers.getOrDefault(n.output(0), List.of()).size() == 1 && !g.outputNames().contains(n.output(0));
    }

    private static Node onlyReader(Map<String, List<Node>> consumers, Node n, Graph g) {
        List<Node> cs = consumers.getOrDefault(n.output(0), List.of());
        return cs.size() == 1 && !g.outputNames().contains(n.output(0)) ? cs.get(0) : null;
    }
}
