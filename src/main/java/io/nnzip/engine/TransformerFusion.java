package io.nnzip.engine;

import io.nnzip.engine.ops.AttentionOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference-time fusion of the patterns {@code torch.onnx.export} writes for transformer modules, for
 * {@link Executor} only (see {@link Fusion}): each is matched on its ops and constants, not on names, and only
 * when every intermediate has the one reader the pattern expects and is not a graph output.
 * <ul>
 * <li>attention (timm's form): Reshape (B,N,3,H,D) → Transpose (2,0,3,1,4) → Split → Squeeze ×3 → MatMul(q,
 * Transpose(k)) → Mul/Div by a scalar (or q and kᵀ each scaled, as PyTorch 2 exports scaled_dot_product_attention)
 * → [mask, see {@link #unmasked}] → Softmax → MatMul(·, v) → Transpose (0,2,1,3) becomes one {@link AttentionOps#OP};
 * so do nn.MultiheadAttention's export ({@link TorchMhaAttention}) and q, k, v each viewed and transposed
 * ({@link ViewTransposeAttention}: Hugging Face's separate Linears, nanoGPT's split projection);</li>
 * <li>LayerNorm written out (opset &lt; 17): ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt → Div → Mul γ → Add β
 * becomes LayerNormalization;</li>
 * <li>GELU written with Erf: Div √2 → Erf → Add 1 → Mul x → Mul 0.5 becomes Gelu;</li>
 * <li>a linear layer MatMul(x, W) → Add(b) [→ Gelu] becomes a MatMul applying {@link #BIAS} (and {@link #GELU}) to
 * its own output; a biased linear layer without GELU whose output is then added to another value (the residual
 * connection after attention's projection and after the MLP) also takes that value as a third input and adds it
 * in the same epilogue ({@link #RESIDUAL}).</li>
 * </ul>
 */
public final class TransformerFusion {
    /** TENSOR (N): added to every row of the MatMul's output. */
    public static final String BIAS = "nnzip_bias";
    /** INT 1: GELU (erf form) applied after the bias. */
    public static final String GELU = "nnzip_gelu";
    /** INT 1: the MatMul's third input is added to its output after the bias (the block's skip connection). */
    public static final String RESIDUAL = "nnzip_residual";
    /**
     * INT 1 (training fusion): the bias is the MatMul's third input rather than a {@link #BIAS} constant, so it stays a
     * parameter with a gradient; a {@link #RESIDUAL} then is the fourth input.
     */
    public static final String BIAS_INPUT = "nnzip_bias_input";

    private final Graph g;
    private final int opset;
    private final boolean training;
    private final Set<String> outputs;
    private Map<String, Node> producers;
    private Map<String, List<Node>> consumers;
    private final Set<Node> dead = new HashSet<>();

    private TransformerFusion(Graph g, int opset, boolean training, Set<String> keep) {
        this.g = g;
        this.opset = opset;
        this.training = training;
        this.outputs = new HashSet<>(g.outputNames());
        outputs.addAll(keep);
    }

    /** Fuses in place; returns the number of patterns replaced. */
    public static int apply(Graph g, int opset) {
        TransformerFusion f = new TransformerFusion(g, opset, false, Set.of());
        int n = f.run();
        if (n > 0) BinaryLowering.removeDead(g);
        return n;
    }

    /**
     * The same fusions for a training tape, in place on a copy of a graph whose initializers are live parameters:
     * a linear layer's bias stays an input ({@link #BIAS_INPUT}) and GELU stays its own node (its backward reads its
     * input); values in {@code keep} (and the graph outputs) are never fused away. Nodes left without readers are
     * removed; initializers are not touched. Returns the number of patterns replaced.
     */
    public static int applyForTraining(Graph g, int opset, Set<String> keep) {
        TransformerFusion f = new TransformerFusion(g, opset, true, keep);
        // the patterns read attention's scale and the heads' split as constants, which exporters compute from shapes
        Model m = new Model(g);
        m.opsets().clear();
        m.opsets().put("", (long) opset);
        if (Canonical.foldShapeArithmetic(m) > 0) f.removeDeadNodes();
        int n = f.run();
        if (n > 0) f.removeDeadNodes();
        return n;
    }

    private int run() {
        return pass("Softmax", n -> attention(n) || torchMha(n) || viewTranspose(n)) + pass("ReduceMean", this::layerNorm) + pass("Erf", this::gelu) + pass("MatMul", this::linear);
    }

    private interface Matcher {
        boolean fuse(Node n);
    }

    private int pass(String type, Matcher m) {
        producers = g.producers();
        consumers = g.consumers();
        dead.clear();
        int n = 0;
        for (Node node : List.copyOf(g.nodes())) {
            if (dead.contains(node) || !node.domain().isEmpty() || !node.opType().equals(type)) continue;
            if (m.fuse(node)) {
                n++;
                producers = g.producers();
                consumers = g.consumers();
            }
        }
        return n;
    }

    // ---- attention

    private TorchMhaAttention.Shapes shapes;
    private boolean shapesTried;

    private boolean torchMha(Node sm) { return shapes() != null && TorchMhaAttention.fuse(this, shapes, sm); }

    private boolean viewTranspose(Node sm) { return shapes() != null && ViewTransposeAttention.fuse(this, shapes, sm); }

    /** Value shapes at two batch sizes, inferred once (on the graph as it is when first needed; fusions keep names). */
    private TorchMhaAttention.Shapes shapes() {
        if (!shapesTried) {
            shapesTried = true;
            shapes = TorchMhaAttention.Shapes.of(g, opset);
        }
        return shapes;
    }

    Graph graph() { return g; }

    /**
     * The value of {@code name} when it is constant: an initializer, or one behind Identity nodes (exporters share
     * equal weights that way; on a training tape they stay tied parameters), else null.
     */
    Tensor constant(String name) { return name.isEmpty() ? null : ConstantValue.of(g, name, producers, opset); }

    /** The node writing {@code v} (from the map kept current between fusions), or null. */
    Node producer(String v) { return producers.get(v); }

    int opset() { return opset; }

    boolean training() { return training; }

    /** Drops nodes nothing reads (not graph outputs or kept values); initializers stay (a training tape's are its parameters). */
    void removeDeadNodes() {
        boolean changed = true;
        while (changed) {
            Map<String, List<Node>> readers = g.consumers();
            changed = g.nodes().removeIf(n -> n.outputs().stream().noneMatch(o -> readers.containsKey(o) || outputs.contains(o)));
        }
    }

    private boolean attention(Node sm) {
        long axis = sm.attrInt("axis", opset >= 13 ? -1 : 1);
        if (!(axis == 3 || axis == -1 && opset >= 13) || !sm.hasInput(0)) return false;
        List<Node> chain = new ArrayList<>(List.of(sm));
        Node pre = only(sm.input(0), sm);
        Mask[] mask = {null};
        pre = unmasked(pre, chain, mask);
        float[] scale = {1f};
        Node mm = unscaled(pre, chain, scale);
        if (!is(mm, "MatMul")) return false;
        chain.add(mm);
        // PyTorch 2 exports scaled_dot_product_attention with q and kᵀ each multiplied by √scale before the MatMul
        Node sq = unscaled(only(mm.input(0), mm), chain, scale), kt = unscaled(only(mm.input(1), mm), chain, scale);
        if (!is(kt, "Transpose") || !Arrays.equals(kt.attrInts("perm", null), new long[] {0, 1, 3, 2})) return false;
        chain.add(kt);
        Node av = sole(sm.output(0));
        if (!is(av, "MatMul") || !av.input(0).equals(sm.output(0)) || av.input(1).equals(sm.output(0))) return false;
        chain.add(av);
        Node merge = sole(av.output(0));
        if (!is(merge, "Transpose") || !Arrays.equals(merge.attrInts("perm", null), new long[] {0, 2, 1, 3})) return false;
        chain.add(merge);
        Node sk = only(kt.input(0), kt), sv = only(av.input(1), av);
        Node split = squeezedPart(sq, 0);
        if (split == null || squeezedPart(sk, 1) != split || squeezedPart(sv, 2) != split) return false;
        chain.addAll(List.of(sq, sk, sv, split));
        if (!evenThirds(split)) return false;
        Node heads = only(split.input(0), split);
        if (!is(heads, "Transpose") || !Arrays.equals(heads.attrInts("perm", null), new long[] {2, 0, 3, 1, 4})) return false;
        chain.add(heads);
        Node reshape = only(heads.input(0), heads);
        if (!is(reshape, "Reshape") || reshape.attrInt("allowzero", 0) != 0) return false;
        chain.add(reshape);
        List<Node> added = new ArrayList<>();
        List<String> in = new ArrayList<>(List.of(reshape.input(0), reshape.input(1)));
        if (mask[0] != null) mask[0].inputs(g, sm.name() + "/AttentionKeep", in, added);
        Node fused = new Node(merge.name().isEmpty() ? "" : merge.name() + "_attention", AttentionOps.OP, in, List.of(merge.output(0)));
        fused.set(Attribute.of(AttentionOps.SCALE, scale[0]));
        replace(chain, fused);
        g.nodes().addAll(g.nodes().indexOf(fused), added);
        return true;
    }

    /**
     * How the scores are masked before the softmax: by a Where that fills masked scores with −∞ (or float's lowest
     * value, which the softmax turns into the same zeros) — {@code cond} true keeps a score in
     * {@code Where(keep, scores, fill)} and masks it in {@code Where(masked, fill, scores)} (masked_fill's export) —
     * and/or by adding {@code added} (an attention mask written additively, broadcast over (B, H, N, N)).
     */
    record Mask(String cond, boolean negated, String added) {
        /** Appends AttentionCore's mask inputs to {@code in}: the keep mask (the condition, or a Not node of it added to {@code nodes}), then the added scores. */
        void inputs(Graph g, String base, List<String> in, List<Node> nodes) {
            String keep = cond;
            if (cond != null && negated) {
                keep = g.freshName(base);
                nodes.add(new Node(base, "Not", List.of(cond), List.of(keep)));
            }
            if (keep != null || added != null) in.add(keep == null ? "" : keep);
            if (added != null) in.add(added);
        }
    }

    /**
     * {@code n} itself, or the node under the scores it masks (read only by the masking nodes): an Add of scores
     * broadcastable to the (B, H, N, N) ones (for inference only: AttentionCore has no gradient for them), then a
     * masking Where; those go into {@code chain} and the mask into {@code mask[0]}. The Where's mask is often sliced to
     * the run-time length, so its (N, N) shape is checked when the op runs.
     */
    Node unmasked(Node n, List<Node> chain, Mask[] mask) {
        String added = null;
        if (!training && is(n, "Add") && n.inputs().size() == 2 && shapes() != null) {
            int[][] out = shapes.at(n.output(0), 4);
            for (int i = 0; i < 2 && added == null && out != null; i++) {
                int[][] sc = shapes.at(n.input(i), 4);
                String other = n.input(1 - i);
                if (sc != null && Arrays.equals(sc[0], out[0]) && Arrays.equals(sc[1], out[1]) && broadcasts(other, out) && !other.equals(n.input(i))) {
                    Node under = only(n.input(i), n);
                    if (under == null) return n;
                    added = other;
                    chain.add(n);
                    n = under;
                }
            }
        }
        String cond = null;
        boolean negated = false;
        if (is(n, "Where") && n.inputs().size() == 3) {
            Float second = scalar(n.input(1)), third = scalar(n.input(2));
            negated = third == null;
            Float fill = negated ? second : third;
            if (fill != null && fill <= -1e30f) {
                cond = n.input(0);
                chain.add(n);
                n = only(n.input(negated ? 2 : 1), n);
            }
        }
        if (cond != null || added != null) mask[0] = new Mask(cond, negated, added);
        return n;
    }

    /** Whether {@code v}'s shape (at both batch sizes) broadcasts to {@code to}: at most rank 4, each dim 1 or equal, the last equal. */
    private boolean broadcasts(String v, int[][] to) {
        for (int k = 0; k < 2; k++) {
            ValueType t = k == 0 ? shapes.two().get(v) : shapes.three().get(v);
            if (t == null || !t.hasShape() || t.rank() == 0 || t.rank() > 4) return false;
            int[] s = t.shape();
            if (s[s.length - 1] != to[k][3]) return false;
            for (int j = 0; j < s.length; j++) if (s[j] != 1 && s[j] != to[k][4 - s.length + j]) return false;
        }
        return true;
    }

    /**
     * {@code n} itself, or when it is a Mul or Div by a scalar constant, the node under it (read only by n), with n
     * added to {@code chain} and its factor multiplied into {@code scale[0]}.
     */
    Node unscaled(Node n, List<Node> chain, float[] scale) {
        if (!is(n, "Mul") && !is(n, "Div")) return n;
        boolean div = n.opType().equals("Div");
        Float c1 = scalar(n.input(1)), c0 = div ? null : scalar(n.input(0));
        if (c1 == null && c0 == null) return n;
        scale[0] *= div ? 1 / c1 : c1 != null ? c1 : c0;
        chain.add(n);
        return only(c1 != null ? n.input(0) : n.input(1), n);
    }

    /** The Split behind a Squeeze (axes 0) of its output {@code part}, or null. */
    private Node squeezedPart(Node sq, int part) {
        if (!is(sq, "Squeeze")) return null;
        long[] axes = sq.hasInput(1) ? ints(sq.input(1)) : sq.attrInts("axes", null);
        if (axes == null || axes.length != 1 || axes[0] != 0) return null;
        Node split = producers.get(sq.input(0));
        if (!is(split, "Split") || split.outputs().size() != 3 || !split.output(part).equals(sq.input(0)) || sole(sq.input(0)) != sq) return null;
        return split;
    }

    // Split along axis 0 into three ones (sizes given, or equal parts of a dim of 3)
    private boolean evenThirds(Node split) {
        if (split.attrInt("axis", 0) != 0) return false;
        long[] sizes = split.hasInput(1) ? ints(split.input(1)) : split.attrInts("split", null);
        return sizes == null || Arrays.equals(sizes, new long[] {1, 1, 1});
    }

    // ---- layer norm

    /**
     * A LayerNorm written out (opset &lt; 17): its nine nodes in graph order of the pattern, input x, the γ and β
     * operands (constants, possibly behind Identity), ε, and the output (β's Add).
     */
    public record WrittenLayerNorm(List<Node> nodes, String x, String gamma, String beta, float epsilon, String output) {}

    /** Every written-out LayerNorm of {@code g} over the last axis, matched as {@link #apply} fuses it; {@code g} is not changed. */
    public static List<WrittenLayerNorm> writtenLayerNorms(Graph g, int opset) {
        TransformerFusion f = new TransformerFusion(g, opset, false, Set.of());
        f.producers = g.producers();
        f.consumers = g.consumers();
        List<WrittenLayerNorm> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            WrittenLayerNorm m = is(n, "ReduceMean") ? f.matchLayerNorm(n) : null;
            if (m != null) out.add(m);
        }
        return out;
    }

    private boolean layerNorm(Node mean) {
        WrittenLayerNorm m = matchLayerNorm(mean);
        if (m == null) return false;
        Node ln = new Node(m.nodes().get(m.nodes().size() - 1).name(), "LayerNormalization", List.of(m.x(), m.gamma(), m.beta()), List.of(m.output()));
        ln.set(Attribute.of("axis", -1L));
        ln.set(Attribute.of("epsilon", m.epsilon()));
        replace(m.nodes(), ln);
        return true;
    }

    private WrittenLayerNorm matchLayerNorm(Node mean) {
        String x = mean.input(0);
        if (!lastAxis(mean)) return null;
        Node sub = sole(mean.output(0));
        if (!is(sub, "Sub") || !sub.input(0).equals(x) || !sub.input(1).equals(mean.output(0))) return null;
        List<Node> readers = consumers.getOrDefault(sub.output(0), List.of());
        if (readers.size() != 2 || outputs.contains(sub.output(0))) return null;
        Node pow = readers.get(0).opType().equals("Pow") ? readers.get(0) : readers.get(1), div = readers.get(0) == pow ? readers.get(1) : readers.get(0);
        Float two = is(pow, "Pow") && pow.input(0).equals(sub.output(0)) ? scalar(pow.input(1)) : null;
        if (two == null || two != 2f || !is(div, "Div") || !div.input(0).equals(sub.output(0))) return null;
        Node var = sole(pow.output(0));
        if (!is(var, "ReduceMean") || !lastAxis(var)) return null;
        Node addEps = sole(var.output(0));
        Float eps = is(addEps, "Add") ? other(addEps, var.output(0)) : null;
        if (eps == null) return null;
        Node sqrt = sole(addEps.output(0));
        if (!is(sqrt, "Sqrt") || sole(sqrt.output(0)) != div || !div.input(1).equals(sqrt.output(0))) return null;
        Node mul = sole(div.output(0));
        String gamma = is(mul, "Mul") ? vectorOperand(mul, div.output(0)) : null;
        Node add = gamma == null ? null : sole(mul.output(0));
        String beta = is(add, "Add") ? vectorOperand(add, mul.output(0)) : null;
        if (beta == null) return null;
        return new WrittenLayerNorm(List.of(mean, sub, pow, var, addEps, sqrt, div, mul, add), x, gamma, beta, eps, add.output(0));
    }

    private boolean lastAxis(Node reduce) {
        long[] axes = reduce.hasInput(1) ? ints(reduce.input(1)) : reduce.attrInts("axes", null);
        return reduce.attrInt("keepdims", 1) == 1 && axes != null && axes.length == 1 && axes[0] == -1;
    }

    /** The other operand of binary node n when it is a rank-1 initializer, else null. */
    private String vectorOperand(Node n, String x) {
        String o = n.input(0).equals(x) ? n.input(1) : n.input(1).equals(x) ? n.input(0) : null;
        // the exporter shares equal parameters behind Identity nodes: constant, but not initializers
        Tensor t = o == null ? null : constant(o);
        return t != null && t.rank() == 1 && t.dtype() == io.nnzip.ir.DType.FLOAT ? o : null;
    }

    // ---- gelu

    private boolean gelu(Node erf) {
        Node scaleIn = only(erf.input(0), erf);
        if (!is(scaleIn, "Div") && !is(scaleIn, "Mul")) return false;
        Float c = scalar(scaleIn.input(1));
        float root2 = (float) Math.sqrt(2);
        if (c == null || Math.abs((scaleIn.opType().equals("Div") ? c : 1 / c) - root2) > 1e-4f) return false;
        String x = scaleIn.input(0);
        Node plus = sole(erf.output(0));
        Float one = is(plus, "Add") ? other(plus, erf.output(0)) : null;
        if (one == null || one != 1f) return false;
        Node times = sole(plus.output(0));
        if (!is(times, "Mul") || !(times.input(0).equals(x) && times.input(1).equals(plus.output(0)) || times.input(1).equals(x) && times.input(0).equals(plus.output(0))))
            return false;
        Node half = sole(times.output(0));
        Float h = is(half, "Mul") ? other(half, times.output(0)) : null;
        if (h == null || h != 0.5f) return false;
        replace(List.of(scaleIn, erf, plus, times, half), new Node(half.name(), "Gelu", List.of(x), List.of(half.output(0))));
        return true;
    }

    // ---- linear

    private boolean linear(Node mm) {
        Tensor w = g.initializer(mm.input(1));
        if (w == null || w.rank() != 2 || w.dtype() != io.nnzip.ir.DType.FLOAT || mm.has(BIAS) || mm.has(BIAS_INPUT) || mm.inputs().size() != 2) return false;
        Node add = sole(mm.output(0));
        String b = is(add, "Add") ? vectorOperand(add, mm.output(0)) : null;
        Tensor bias = b == null ? null : constant(b);
        if (bias == null || bias.size() != w.shape()[1]) return false;
        if (training) {
            mm.set(Attribute.of(BIAS_INPUT, 1L));
            mm.inputs().add(b);
        } else mm.set(Attribute.of(BIAS, bias));
        mm.outputs().set(0, add.output(0));
        g.nodes().remove(add);
        dead.add(add);
        Node act = sole(add.output(0));
        if (!training && is(act, "Gelu") && act.attrString("approximate", "none").equals("none")) {
            mm.set(Attribute.of(GELU, 1L));
            mm.outputs().set(0, act.output(0));
            g.nodes().remove(act);
            dead.add(act);
            return true;
        }
        Node sum = sole(add.output(0));
        if (is(sum, "Add") && sum.inputs().size() == 2 && !sum.input(0).equals(sum.input(1))) {
            String skip = sum.input(0).equals(add.output(0)) ? sum.input(1) : sum.input(0);
            // a constant there is a second bias, not a skip connection; leave it to the Add
            if (constant(skip) == null) {
                mm.set(Attribute.of(RESIDUAL, 1L));
                mm.inputs().add(skip);
                mm.outputs().set(0, sum.output(0));
                g.nodes().remove(sum);
                dead.add(sum);
            }
        }
        return true;
    }

    // ---- helpers

    static boolean is(Node n, String type) { return n != null && n.domain().isEmpty() && n.opType().equals(type); }

    /** The producer of {@code v} when {@code reader} is its only reader and it is not a graph output. */
    Node only(String v, Node reader) {
        List<Node> r = consumers.get(v);
        if (r == null || r.size() != 1 || r.get(0) != reader || outputs.contains(v)) return null;
        Node p = producers.get(v);
        return p == null || dead.contains(p) || p.outputs().size() != 1 && !p.opType().equals("Split") ? null : p;
    }

    /** The producer of {@code v} when {@code reader} and Shape nodes are all that read it and it is not a graph output. */
    Node onlyBesidesShapes(String v, Node reader) {
        List<Node> r = consumers.get(v);
        if (r == null || !r.contains(reader) || outputs.contains(v) || !r.stream().allMatch(x -> x == reader || is(x, "Shape"))) return null;
        Node p = producers.get(v);
        return p == null || dead.contains(p) || p.outputs().size() != 1 ? null : p;
    }

    /** The only reader of {@code v}, or null (several, none, or a graph output). */
    Node sole(String v) {
        List<Node> r = consumers.get(v);
        return r == null || r.size() != 1 || outputs.contains(v) || dead.contains(r.get(0)) ? null : r.get(0);
    }

    /** The constant other operand of binary node n as one float, or null. */
    private Float other(Node n, String x) {
        return n.input(0).equals(x) ? scalar(n.input(1)) : n.input(1).equals(x) ? scalar(n.input(0)) : null;
    }

    private Float scalar(String name) {
        Tensor t = constant(name);
        return t == null || t.size() != 1 || !t.dtype().isFloating() ? null : (float) t.getDouble(0);
    }

    long[] ints(String name) {
        Tensor t = constant(name);
        return t == null || t.dtype().isFloating() ? null : t.toLongs();
    }

    private void replace(List<Node> chain, Node fused) {
        int at = g.nodes().indexOf(chain.get(chain.size() - 1));
        g.nodes().add(Math.max(0, at), fused);
        g.nodes().removeAll(chain);
        dead.addAll(chain);
    }
}
