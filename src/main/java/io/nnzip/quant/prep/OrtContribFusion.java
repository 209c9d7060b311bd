package io.nnzip.quant.prep;

import io.nnzip.engine.ConstantValue;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.TransformerFusion;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes two of ONNX Runtime's com.microsoft transformer ops in place of the float chains the exporter leaves
 * between the int8 linears, where ORT's own fusions cannot (the result runs in nnzip's engine too, see
 * {@code engine/ops/ContribTransformerOps}):
 * <ul>
 * <li>attention after {@link QkvSplit}: Reshape (B,N,h,d) → Transpose (0,2,1,3) for q, k and v, MatMul(q, Transpose(k,
 * (0,1,3,2))) → Mul/Div by a scalar → Softmax → MatMul(·, v) → Transpose (0,2,1,3) → Reshape (B,N,h·d) becomes
 * MultiHeadAttention(q, k, v) on the projections' (B,N,h·d) outputs, num_heads h and the scalar as its scale: the
 * eight head transposes and reshapes of a block go, and ORT runs one kernel per block;</li>
 * <li>LayerNormalization(Add(a, b)) over the last axis, a and b both computed: SkipLayerNormalization(a, b, γ, β),
 * whose fourth output (the sum) replaces the Add for its other readers — in a pre-norm block the residual sum is
 * read by the LayerNorm and by the next residual Add, which is why ORT's SkipLayerNormalization fusion (one reader
 * only) never fires there. A constant addend (learned positions) becomes the skip, broadcast over the batch.
 * Written-out LayerNorms (opset &lt; 17) are fused first, and kept fused only if every one of them then has its
 * Add.</li>
 * </ul>
 * Both are the same function up to float rounding order.
 */
public final class OrtContribFusion {
    public static final String DOMAIN = "com.microsoft";
    private static final long[] HEADS = {0, 2, 1, 3}, KT = {0, 1, 3, 2};

    private OrtContribFusion() {}

    /** Rewrites in place; returns {multihead_attention, skip_layernorm} counts. */
    public static Map<String, Integer> rewrite(Model m) {
        Graph g = m.graph();
        int opset = m.opset();
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of());
        int mha = 0, sln = 0;
        for (Node sm : List.copyOf(g.nodes())) if (sm.opType().equals("Softmax") && sm.domain().isEmpty() && attention(g, opset, one, sm)) mha++;
        if (opset >= 17) sln = skipLayerNorms(g, opset);
        else {
            // written-out LayerNorms are fused on a copy, kept only when every one became a SkipLayerNormalization
            // (a bare LayerNormalization is not an op of this opset)
            Model t = m.copy();
            if (TransformerFusion.fuseLayerNorms(t.graph(), opset) > 0) {
                int k = skipLayerNorms(t.graph(), opset);
                if (k > 0 && t.graph().nodes().stream().noneMatch(n -> n.opType().equals("LayerNormalization") && n.domain().isEmpty())) {
                    m.setGraph(t.graph());
                    g = t.graph();
                    sln = k;
                }
            }
        }
        if (mha + sln > 0) {
            m.opsets().putIfAbsent(DOMAIN, 1L);
            io.nnzip.ir.GraphEdits.removeDeadNodes(g);
            g.removeUnusedInitializers();
            TopoSort.sort(g);
        }
        Map<String, Integer> r = new LinkedHashMap<>();
        r.put("multihead_attention", mha);
        r.put("skip_layernorm", sln);
        return r;
    }

    private static boolean attention(Graph g, int opset, Map<String, ValueType> one, Node sm) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        Set<String> outs = new HashSet<>(g.outputNames());
        ValueType scores = one.get(sm.input(0));
        if (scores == null || !scores.hasShape() || scores.rank() != 4) return false;
        long axis = sm.attrInt("axis", -1);
        if (axis != -1 && axis != 3) return false;
        Node sc = only(consumers, outs, producers.get(sm.input(0)), sm);
        if (sc == null || !(sc.opType().equals("Mul") || sc.opType().equals("Div"))) return false;
        int at = producers.get(sc.input(0)) != null && producers.get(sc.input(0)).opType().equals("MatMul") ? 0 : 1;
        if (sc.opType().equals("Div") && at != 0) return false;
        Tensor s = ConstantValue.of(g, sc.input(1 - at), producers, opset);
        if (s == null || s.size() != 1) return false;
        float scale = sc.opType().equals("Mul") ? s.toFloats()[0] : 1 / s.toFloats()[0];
        Node qk = only(consumers, outs, producers.get(sc.input(at)), sc);
        if (qk == null || !qk.opType().equals("MatMul")) return false;
        Node kt = only(consumers, outs, producers.get(qk.input(1)), qk);
        if (kt == null || !kt.opType().equals("Transpose") || !Arrays.equals(kt.attrInts("perm", null), KT)) return false;
        List<Node> av = consumers.getOrDefault(sm.output(0), List.of());
        if (av.size() != 1 || !av.get(0).opType().equals("MatMul") || !av.get(0).input(0).equals(sm.output(0)) || outs.contains(sm.output(0))) return false;
        Node otr = single(consumers, outs, av.get(0), "Transpose");
        if (otr == null || !Arrays.equals(otr.attrInts("perm", null), HEADS)) return false;
        Node ors = single(consumers, outs, otr, "Reshape");
        if (ors == null) return false;
        Node[] heads = new Node[3];
        String[] proj = new String[3];
        String[] from = {qk.input(0), kt.input(0), av.get(0).input(1)};
        Node[] reader = {qk, kt, av.get(0)};
        int h = -1, d = -1;
        for (int j = 0; j < 3; j++) {
            Node tr = only(consumers, outs, producers.get(from[j]), reader[j]);
            if (tr == null || !tr.opType().equals("Transpose") || !Arrays.equals(tr.attrInts("perm", null), HEADS)) return false;
            Node rs = only(consumers, outs, producers.get(tr.input(0)), tr);
            if (rs == null || !rs.opType().equals("Reshape")) return false;
            ValueType x = one.get(rs.input(0)), y = one.get(rs.output(0));
            if (x == null || y == null || !x.hasShape() || !y.hasShape() || x.rank() != 3 || y.rank() != 4) return false;
            if (h >= 0 && (h != y.shape()[2] || d != y.shape()[3])) return false;
            h = y.shape()[2];
            d = y.shape()[3];
            if (h <= 0 || d <= 0 || x.shape()[2] != h * d || x.shape()[1] != y.shape()[1]) return false;
            heads[j] = rs;
            proj[j] = rs.input(0);
        }
        ValueType merged = one.get(ors.output(0));
        if (merged == null || !merged.hasShape() || merged.rank() != 3 || merged.shape()[2] != h * d) return false;
        String name = (sm.name().isEmpty() ? sm.output(0) : sm.name()) + "_mha";
        Node mha = new Node(name, "MultiHeadAttention", DOMAIN, List.of(proj[0], proj[1], proj[2]), List.of(ors.output(0)))
                .set(Attribute.of("num_heads", (long) h)).set(Attribute.of("scale", scale));
        int pos = g.nodes().indexOf(ors);
        g.nodes().set(pos, mha);
        // the rest of the chain has no other readers: dead-node removal takes it
        return true;
    }

    private static int skipLayerNorms(Graph g, int opset) {
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of());
        int n = 0;
        for (Node ln : List.copyOf(g.nodes())) if (ln.opType().equals("LayerNormalization") && ln.domain().isEmpty() && skipLayerNorm(g, opset, one, ln)) n++;
        return n;
    }

    private static boolean skipLayerNorm(Graph g, int opset, Map<String, ValueType> one, Node ln) {
        Map<String, Node> producers = g.producers();
        Node add = producers.get(ln.input(0));
        if (add == null || !add.opType().equals("Add") || !add.domain().isEmpty()) return false;
        boolean c0 = ConstantValue.of(g, add.input(0), producers, opset) != null, c1 = ConstantValue.of(g, add.input(1), producers, opset) != null;
        if (c0 && c1) return false;
        // a constant addend (the learned positions) is the skip, broadcast from (1, N, C) or (N, C) as ORT allows
        String x = c0 ? add.input(1) : add.input(0), skip = c0 ? add.input(0) : add.input(1);
        ValueType a = one.get(x), b = one.get(skip);
        if (a == null || b == null || !a.hasShape() || !b.hasShape() || a.rank() < 2) return false;
        if (!Arrays.equals(a.shape(), b.shape()) && !(a.rank() == 3 && (c0 || c1) && broadcastSkip(a.shape(), b.shape()))) return false;
        int c = a.shape()[a.rank() - 1];
        long axis = ln.attrInt("axis", -1);
        if (axis != -1 && axis != a.rank() - 1) return false;
        if (ln.outputs().size() > 1 && ln.outputs().subList(1, ln.outputs().size()).stream().anyMatch(o -> !o.isEmpty())) return false;
        for (int i = 1; i < ln.inputs().size(); i++) {
            Tensor p = ConstantValue.of(g, ln.input(i), producers, opset);
            if (p == null || p.size() != c || p.rank() != 1) return false;
        }
        List<Node> readers = g.consumers().getOrDefault(add.output(0), List.of());
        boolean sumRead = readers.size() > 1 || g.outputNames().contains(add.output(0));
        List<String> ins = new java.util.ArrayList<>(List.of(x, skip, ln.input(1)));
        if (ln.inputs().size() > 2) ins.add(ln.input(2));
        List<String> os = sumRead ? List.of(ln.output(0), "", "", add.output(0)) : List.of(ln.output(0));
        Node sln = new Node(ln.name().isEmpty() ? ln.output(0) + "_skip" : ln.name(), "SkipLayerNormalization", DOMAIN, ins, os)
                .set(Attribute.of("epsilon", ln.attrFloat("epsilon", 1e-5f)));
        g.nodes().remove(add);
        g.nodes().set(g.nodes().indexOf(ln), sln);
        return true;
    }

    private static boolean broadcastSkip(int[] x, int[] s) {
        return s.length == 3 && s[0] == 1 && s[1] == x[1] && s[2] == x[2] || s.length == 2 && s[0] == x[1] && s[1] == x[2];
    }

    /** {@code p} when it is a node whose output only {@code reader} reads (and is no graph output). */
    private static Node only(Map<String, List<Node>> consumers, Set<String> outs, Node p, Node reader) {
        if (p == null || p.outputs().size() != 1 || outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.size() == 1 && cs.get(0) == reader ? p : null;
    }

    /** The one reader of {@code p}'s output when it is an {@code op} node and {@code p}'s output is no graph output. */
    private static Node single(Map<String, List<Node>> consumers, Set<String> outs, Node p, String op) {
        if (outs.contains(p.output(0))) return null;
        List<Node> cs = consumers.getOrDefault(p.output(0), List.of());
        return cs.size() == 1 && cs.get(0).opType().equals(op) ? cs.get(0) : null;
    }
}
