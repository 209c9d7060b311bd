package io.nnzip.quant.prep;

import io.nnzip.engine.ConstantValue;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.TransformerFusion;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds a LayerNorm's γ and β into the linear layers reading it and writes the normalization that remains as
 * InstanceNormalization with scale 1 and bias 0: over x (B, T, D) as T channels when T is static, otherwise over x
 * reshaped to (rows, 1, D) and back. The function is the same: (γ⊙n + β)·W + b = n·(diag(γ)·W) + (β·W + b), and a
 * mean over tokens, a token Gather or Slice, a Transpose keeping the last axis last (the batch-tokens swap of
 * nn.MultiheadAttention exports) or a Reshape keeping the last dim commutes with the per-feature affine. Why: ONNX
 * Runtime's LayerNormalization kernel (also what it fuses the written-out opset-13 form into) sums each row in one
 * serial scalar loop, its InstanceNormalization kernel does the same rows vectorised; in the int8 ViT the LayerNorms
 * took a fifth of the time. Static int8 then calibrates and quantizes n like any activation.
 * A LayerNorm is rewritten only when D is static and every reader of its output (Shape aside) reaches such linear
 * layers: a MatMul with a [D, N] weight (its constant bias Add takes β·W, or a new Add does, as for a tied LM head)
 * or a Gemm with alpha = beta = 1; otherwise it is left as it is. Every plan is made before anything is changed.
 */
public final class LayerNormFold {
    private LayerNormFold() {}

    private record Norm(List<Node> nodes, String x, Tensor gamma, Tensor beta, float eps, String output) {}

    /** A linear layer reading the normalized value and the constant its bias shift goes to (null: none yet). */
    private record Target(Node layer, Node biasNode, int biasInput) {}

    /** Rewrites in place; returns how many LayerNorms. */
    public static int rewrite(Graph g, int opset) {
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of()), two = ShapeInference.infer(g, opset, 2, Map.of());
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = new HashSet<>(g.outputNames());
        List<Norm> norms = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!Chains.isOp(n, "LayerNormalization") || n.inputs().size() < 2) continue;
            // the optional Mean / InvStdDev outputs must be unused: InstanceNormalization has none
            if (n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty() && (consumers.containsKey(o) || outs.contains(o)))) continue;
            Tensor gamma = ConstantValue.of(g, n.input(1), producers, opset);
            Tensor beta = n.hasInput(2) ? ConstantValue.of(g, n.input(2), producers, opset) : null;
            if (gamma == null || n.hasInput(2) && beta == null) continue;
            ValueType t = one.get(n.input(0));
            long axis = n.attrInt("axis", -1);
            if (t == null || !t.hasShape() || axis != -1 && axis != t.rank() - 1) continue;
            norms.add(new Norm(List.of(n), n.input(0), gamma, beta, n.attrFloat("epsilon", 1e-5f), n.output(0)));
        }
        for (TransformerFusion.WrittenLayerNorm w : TransformerFusion.writtenLayerNorms(g, opset))
            norms.add(new Norm(w.nodes(), w.x(), ConstantValue.of(g, w.gamma(), producers, opset), ConstantValue.of(g, w.beta(), producers, opset),
                    w.epsilon(), w.output()));
        List<Norm> chosen = new ArrayList<>();
        List<List<Target>> targets = new ArrayList<>();
        for (Norm nm : norms) {
            int d = nm.gamma().size();
            ValueType xt = one.get(nm.x()), xu = two.get(nm.x());
            if (xt == null || xu == null || !xt.hasShape() || !xu.hasShape() || xt.rank() < 2 || xt.shape()[xt.rank() - 1] != d || xu.shape()[xu.rank() - 1] != d
                    || nm.gamma().dtype() != DType.FLOAT || nm.beta() != null && (nm.beta().dtype() != DType.FLOAT || nm.beta().size() != d)) continue;
            List<Target> ts = new ArrayList<>();
            if (!reach(g, consumers, outs, one, nm.output(), d, ts, 0) || ts.isEmpty()) continue;
            chosen.add(nm);
            targets.add(ts);
        }
        for (int i = 0; i < chosen.size(); i++) {
            int[] s = tokensByFeatures(one.get(chosen.get(i).x()), two.get(chosen.get(i).x()));
            apply(g, chosen.get(i), targets.get(i), s == null ? -1 : s[0]);
        }
        if (!chosen.isEmpty()) {
            g.removeUnusedInitializers();
            TopoSort.sort(g);
        }
        return chosen.size();
    }

    /** {T, D} when x is (B, T, D) with T and D the same at batch sizes 1 and 2, else null. */
    private static int[] tokensByFeatures(ValueType a, ValueType b) {
        if (a == null || b == null || !a.hasShape() || !b.hasShape() || a.rank() != 3 || b.rank() != 3) return null;
        int[] s = a.shape(), u = b.shape();
        return s[1] > 0 && s[2] > 0 && s[1] == u[1] && s[2] == u[2] ? new int[] {s[1], s[2]} : null;
    }

    /** Collects the linear layers every reader of {@code v} reaches; false when some reader cannot take the fold. */
    private static boolean reach(Graph g, Map<String, List<Node>> consumers, Set<String> outs, Map<String, ValueType> shapes, String v, int d,
                                 List<Target> out, int depth) {
        if (outs.contains(v) || depth > 4) return false;
        for (Node r : consumers.getOrDefault(v, List.of())) {
            if (Chains.isOp(r, "Shape")) continue;
            Target t = linear(g, consumers, outs, r, v, d);
            if (t != null) out.add(t);
            else if (!keepsRows(g, r, v, d, shapes) || !reach(g, consumers, outs, shapes, r.output(0), d, out, depth + 1)) return false;
        }
        return true;
    }

    private static Target linear(Graph g, Map<String, List<Node>> consumers, Set<String> outs, Node r, String v, int d) {
        if (!r.input(0).equals(v) || !InputScaling.scalable(g, r) || g.initializer(r.input(1)).dtype() != DType.FLOAT) return null;
        Tensor w = g.initializer(r.input(1));
        boolean transposed = r.opType().equals("Gemm") && r.attrInt("transB", 0) != 0;
        int k = transposed ? w.dim(1) : w.dim(0), n = transposed ? w.dim(0) : w.dim(1);
        if (k != d) return null;
        if (r.opType().equals("Gemm")) {
            if (r.attrFloat("alpha", 1f) != 1f || r.attrFloat("beta", 1f) != 1f) return null;
            if (!r.hasInput(2)) return new Target(r, null, -1);
            Tensor c = g.initializer(r.input(2));
            return c != null && c.dtype() == DType.FLOAT && c.size() == n && c.dim(-1) == n ? new Target(r, r, 2) : null;
        }
        Node add = Chains.biasAdd(g, consumers, outs, r, n);
        return add != null ? new Target(r, add, Chains.biasInput(add, r)) : new Target(r, null, -1);
    }

    /** Ops that only select or regroup whole feature rows (or average them), so the per-feature affine passes through. */
    private static boolean keepsRows(Graph g, Node r, String v, int d, Map<String, ValueType> shapes) {
        if (!r.domain().isEmpty() || !r.input(0).equals(v) || r.outputs().size() != 1) return false;
        ValueType in = shapes.get(v), o = shapes.get(r.output(0));
        if (in == null || !in.hasShape() || o == null || !o.hasShape()) return false;
        int last = in.rank() - 1;
        return switch (r.opType()) {
            case "Reshape" -> o.rank() >= 1 && o.shape()[o.rank() - 1] == d && in.shape()[last] == d;
            case "ReduceMean" -> {
                long[] axes = r.hasInput(1) ? longs(g, r.input(1)) : r.attrInts("axes", null);
                yield axes != null && axes.length > 0 && java.util.Arrays.stream(axes).noneMatch(a -> (a + in.rank()) % in.rank() == last);
            }
            case "Gather" -> (r.attrInt("axis", 0) + in.rank()) % in.rank() != last;
            // nn.MultiheadAttention's exports swap batch and tokens in front of the projection
            case "Transpose" -> {
                long[] perm = r.attrInts("perm", null);
                yield perm != null && perm.length == in.rank() && perm[last] == last;
            }
            case "Slice" -> {
                long[] axes = r.hasInput(3) ? longs(g, r.input(3)) : null;
                yield axes != null && java.util.Arrays.stream(axes).noneMatch(a -> (a + in.rank()) % in.rank() == last);
            }
            default -> false;
        };
    }

    private static long[] longs(Graph g, String name) {
        Tensor t = g.initializer(name);
        return t == null || t.dtype().isFloating() ? null : t.toLongs();
    }

    private static Node in(String name, String x, String scale, String bias, String y, float eps) {
        return new Node(name, "InstanceNormalization", List.of(x, scale, bias), List.of(y)).set(Attribute.of("epsilon", eps));
    }

    private static String base(Node n) { return n.name().isEmpty() ? n.output(0) : n.name(); }

    private static boolean allZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    private static void apply(Graph g, Norm nm, List<Target> targets, int tokens) {
        float[] gamma = nm.gamma().toFloats(), beta = nm.beta() == null ? new float[gamma.length] : nm.beta().toFloats();
        for (Target t : targets) {
            Node l = t.layer();
            float[] w = g.initializer(l.input(1)).toFloats();
            boolean transposed = l.opType().equals("Gemm") && l.attrInt("transB", 0) != 0;
            int k = gamma.length, n = w.length / k;
            // β·W from the weight as it was, before γ scales its rows
            float[] shift = new float[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += (double) beta[i] * w[transposed ? j * k + i : i * n + j];
                shift[j] = (float) s;
            }
            InputScaling.scaleWeightRows(g, l, gamma);
            if (t.biasNode() != null) {
                String c = t.biasNode().input(t.biasInput());
                Tensor old = g.initializer(c);
                float[] b = old.toFloats().clone();
                for (int j = 0; j < n; j++) b[j] += shift[j];
                String name = g.freshName(c + "_ln_folded");
                g.initializers().put(name, Tensor.of(b, old.shape()));
                t.biasNode().inputs().set(t.biasInput(), name);
            } else if (!allZero(shift)) {
                String name = g.freshName(l.input(1) + "_ln_bias");
                g.initializers().put(name, Tensor.of(shift, n));
                if (l.opType().equals("Gemm")) {
                    while (l.inputs().size() < 3) l.inputs().add("");
                    l.inputs().set(2, name);
                } else {
                    // a MatMul without a bias (a tied LM head) gets one for β·W
                    String raw = g.freshName(l.output(0) + "_unbiased");
                    Node add = new Node(g.freshName(base(l) + "_ln_bias_add"), "Add", List.of(raw, name), List.of(l.output(0)));
                    l.outputs().set(0, raw);
                    g.nodes().add(g.nodes().indexOf(l) + 1, add);
                }
            }
        }
        Node last = nm.nodes().get(nm.nodes().size() - 1);
        String base = last.name().isEmpty() ? nm.output() : last.name();
        int d = gamma.length, c = tokens > 0 ? tokens : 1;
        String ones = g.freshName(base + "_in_scale"), zeros = g.freshName(base + "_in_bias");
        float[] o = new float[c];
        java.util.Arrays.fill(o, 1f);
        g.initializers().put(ones, Tensor.of(o, c));
        g.initializers().put(zeros, Tensor.of(new float[c], c));
        List<Node> nodes = new ArrayList<>();
        if (tokens > 0) nodes.add(in(base, nm.x(), ones, zeros, nm.output(), nm.eps()));
        else {
            // rows of D as (rows, 1, D): one channel, statistics per row; the shape is put back from x's own
            String rows = g.freshName(base + "_rows_shape"), shape = g.freshName(base + "_shape"), x3 = g.freshName(base + "_rows"), y3 = g.freshName(base + "_rows_norm");
            g.initializers().put(rows, Tensor.vector(-1, 1, d));
            nodes.add(new Node(g.freshName(base + "_Shape"), "Shape", List.of(nm.x()), List.of(shape)));
            nodes.add(new Node(g.freshName(base + "_to_rows"), "Reshape", List.of(nm.x(), rows), List.of(x3)));
            nodes.add(in(base, x3, ones, zeros, y3, nm.eps()));
            nodes.add(new Node(g.freshName(base + "_from_rows"), "Reshape", List.of(y3, shape), List.of(nm.output())));
        }
        g.nodes().addAll(g.nodes().indexOf(last), nodes);
        g.nodes().removeAll(nm.nodes());
    }
}
