package io.nnzip.engine;

import io.nnzip.engine.ops.AttentionOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@link TransformerFusion}'s attention for {@code nn.MultiheadAttention} as PyTorch exports it (torchvision's
 * VisionTransformer, nn.TransformerEncoderLayer): the batch-first input is transposed to (T, B, K) and the heads live
 * in a (T, B·h, d) layout —
 * <pre>
 * Split(MatMul(Transpose(x (B, T, K), (1,0,2)), W (K, 3C)) [+ b], last axis) → q, k, v, each Reshape (T, B·h, d)
 * scores = MatMul(Transpose(q, (1,0,2)) [· or ÷ scalar], Transpose(k, (1,2,0)) [· or ÷ scalar]) [· or ÷ scalar]
 * Transpose(MatMul(Softmax(scores), Transpose(v, (1,0,2))), (1,0,2)) → Reshape (T·B, C)
 * [→ Gemm or MatMul (C → M) [+ bias] → Reshape (T, B, M) → Transpose (1,0,2)]
 * </pre>
 * Per token, the projection's output holds q, k and v each as h heads of d, the (B, T, 3, h, d) layout
 * {@link AttentionOps} reads once the projection runs on x itself (a module built with batch_first=False takes
 * (T, B, K) without that Transpose; one is added), so the block becomes MatMul(x, W) [+ b] →
 * AttentionCore → Reshape (B, T, C) and, when the out-projection follows, a MatMul with bias on those rows giving
 * (B, T, M) at once; otherwise a Transpose restores the (T·B, C) row order. Shapes are checked at two batch sizes,
 * so that the head Reshapes really split C into h heads of d whatever the batch (a dynamic sequence length may
 * change with it). New constants are Constant nodes (a training tape keeps its own initializers); inference writes
 * a transposed out-projection weight, a tape transposes it with a node so the gradient reaches the parameter.
 */
final class TorchMhaAttention {
    private static final long[] SWAP = {1, 0, 2}, K_T = {1, 2, 0};

    private TorchMhaAttention() {}

    /** Value types at batch sizes 2 and 3 of the graph before fusion (null if shape inference fails). */
    record Shapes(Map<String, ValueType> two, Map<String, ValueType> three) {
        static Shapes of(Graph g, int opset) {
            try {
                return new Shapes(ShapeInference.infer(g, opset, 2, Map.of()), ShapeInference.infer(g, opset, 3, Map.of()));
            } catch (RuntimeException e) {
                return null;
            }
        }

        /** The value's shape at batch 2 and 3 when both have the rank, else null. */
        int[][] at(String v, int rank) {
            ValueType a = two.get(v), b = three.get(v);
            if (a == null || b == null || !a.hasShape() || !b.hasShape() || a.rank() != rank || b.rank() != rank) return null;
            return new int[][] {a.shape(), b.shape()};
        }
    }

    /** Fuses the block whose Softmax is {@code sm}; false and the graph unchanged when it does not match. */
    static boolean fuse(TransformerFusion f, Shapes s, Node sm) {
        Graph g = f.graph();
        long axis = sm.attrInt("axis", f.opset() >= 13 ? -1 : 1);
        int[][] ss = s.at(sm.input(0), 3);
        if (ss == null || !(axis == 2 || axis == -1 && f.opset() >= 13)) return false;
        List<Node> chain = new ArrayList<>(List.of(sm));
        float[] scale = {1f};
        Node qk = f.unscaled(f.only(sm.input(0), sm), chain, scale);
        if (!TransformerFusion.is(qk, "MatMul")) return false;
        Node qt = f.unscaled(f.only(qk.input(0), qk), chain, scale), kt = f.unscaled(f.only(qk.input(1), qk), chain, scale);
        Node av = f.sole(sm.output(0));
        if (!isTranspose(qt, SWAP) || !isTranspose(kt, K_T) || !TransformerFusion.is(av, "MatMul") || !av.input(0).equals(sm.output(0))
                || av.input(1).equals(sm.output(0))) return false;
        Node vt = f.only(av.input(1), av), merge = f.sole(av.output(0));
        Node rows = merge == null ? null : f.sole(merge.output(0));
        if (!isTranspose(vt, SWAP) || !isTranspose(merge, SWAP) || !TransformerFusion.is(rows, "Reshape")) return false;
        // q, k, v: parts 0, 1, 2 of the projection's last axis (one Split, or three Slices), each Reshape (T, B·h, d)
        Node[] heads = {qt, kt, vt};
        String source = null;
        // tokens at batch sizes 2 and 3: a dynamic sequence length is bound with the batch
        int[] t = {-1, -1};
        int h = -1, d = -1;
        for (int j = 0; j < 3; j++) {
            Node rs = f.only(heads[j].input(0), heads[j]);
            int[][] y = rs == null ? null : s.at(rs.output(0), 3), x = rs == null ? null : s.at(rs.input(0), 3);
            if (!TransformerFusion.is(rs, "Reshape") || y == null || x == null) return false;
            if (j == 0) {
                t = new int[] {y[0][0], y[1][0]};
                h = y[0][1] / 2;
                d = y[0][2];
            }
            if (t[0] <= 0 || t[1] <= 0 || h <= 0 || d <= 0 || !Arrays.equals(y[0], new int[] {t[0], 2 * h, d}) || !Arrays.equals(y[1], new int[] {t[1], 3 * h, d})
                    || !Arrays.equals(x[0], new int[] {t[0], 2, h * d}) || !Arrays.equals(x[1], new int[] {t[1], 3, h * d})) return false;
            String src = partOf(f, rs.input(0), j, h * d);
            if (src == null || source != null && !source.equals(src)) return false;
            source = src;
        }
        int c = h * d;
        int[][] r = s.at(rows.output(0), 2);
        if (r == null || !Arrays.equals(r[0], new int[] {2 * t[0], c}) || !Arrays.equals(r[1], new int[] {3 * t[1], c})) return false;
        // the projection, on the input transposed to (T, B, K)
        Node p = f.producer(source), proj = p;
        String bias = null;
        if (TransformerFusion.is(p, "Add")) {
            int at = TransformerFusion.is(f.producer(p.input(0)), "MatMul") ? 0 : 1;
            bias = p.input(1 - at);
            Tensor b = f.constant(bias);
            if (b == null || b.size() != 3 * c || b.dtype() != DType.FLOAT) return false;
            proj = f.producer(p.input(at));
        }
        if (!TransformerFusion.is(proj, "MatMul")) return false;
        // the batch-first input transposed to (T, B, K) just before, or a (T, B, K) input (batch_first=False modules)
        Node xt = f.producer(proj.input(0));
        boolean batchFirst = isTranspose(xt, SWAP);
        String x = batchFirst ? xt.input(0) : proj.input(0);
        Tensor w = f.constant(proj.input(1));
        int[][] xs = s.at(x, 3);
        if (w == null || w.rank() != 2 || w.dtype() != DType.FLOAT || w.dim(1) != 3 * c || xs == null || xs[0][batchFirst ? 1 : 0] != t[0]
                || xs[0][batchFirst ? 0 : 1] != 2 || xs[0][2] != w.dim(0)) return false;
        String base = sm.name().isEmpty() ? sm.output(0) : sm.name();
        List<Node> added = new ArrayList<>();
        if (!batchFirst) {
            String bt = g.freshName(base + "_batch_first");
            added.add(new Node(base + "/BatchFirst", "Transpose", List.of(x), List.of(bt)).set(Attribute.of("perm", SWAP)));
            x = bt;
        }
        String qkv = g.freshName(base + "_qkv");
        if (bias == null) added.add(new Node(base + "/QkvProjection", "MatMul", List.of(x, proj.input(1)), List.of(qkv)));
        else {
            String mm = g.freshName(base + "_qkv_nobias");
            added.add(new Node(base + "/QkvProjection", "MatMul", List.of(x, proj.input(1)), List.of(mm)));
            added.add(new Node(base + "/QkvBias", "Add", List.of(mm, bias), List.of(qkv)));
        }
        String att = g.freshName(base + "_attention"), flat = g.freshName(base + "_attention_rows");
        added.add(constant(g, base + "_heads", 0, 0, 3, h, d));
        added.add(new Node(base + "/Attention", AttentionOps.OP, List.of(qkv, added.getLast().output(0)), List.of(att))
                .set(Attribute.of(AttentionOps.SCALE, scale[0])));
        added.add(constant(g, base + "_rows_shape", 0, 0, c));
        added.add(new Node(base + "/AttentionRows", "Reshape", List.of(att, added.getLast().output(0)), List.of(flat)));
        Node last = outProjection(f, s, rows, t, c, base, flat, added);
        if (last == null) {
            // no out-projection in the expected form: give the merge's rows in their (T, B) order
            String tb = g.freshName(base + "_attention_tb");
            added.add(new Node(base + "/AttentionToTB", "Transpose", List.of(flat), List.of(tb)).set(Attribute.of("perm", SWAP)));
            added.add(constant(g, base + "_tb_rows_shape", -1, c));
            added.add(new Node(base + "/AttentionTBRows", "Reshape", List.of(tb, added.getLast().output(0)), List.of(rows.output(0))));
            last = rows;
        }
        int pos = g.nodes().indexOf(last);
        g.nodes().remove(pos);
        g.nodes().addAll(pos, added);
        // the rest of the block (and the shape arithmetic feeding its Reshapes) is no longer read
        f.removeDeadNodes();
        return true;
    }

    /**
     * When {@code rows} (T·B, C) is read by Gemm or MatMul (C → M) [+ bias] → Reshape (T, B, M) → Transpose (1,0,2),
     * adds that projection on {@code flat} (B, T, C) writing the Transpose's output and returns the Transpose (whose
     * output it takes over); null (nothing added) otherwise.
     */
    private static Node outProjection(TransformerFusion f, Shapes s, Node rows, int[] t, int c, String base, String flat, List<Node> added) {
        Graph g = f.graph();
        Node o = f.sole(rows.output(0));
        if (o == null || !o.input(0).equals(rows.output(0))) return null;
        String wName = o.inputs().size() > 1 ? o.input(1) : "", bias = null;
        Node y = o;
        boolean transB = false;
        if (TransformerFusion.is(o, "Gemm")) {
            if (o.attrInt("transA", 0) != 0 || o.attrFloat("alpha", 1f) != 1f || o.attrFloat("beta", 1f) != 1f) return null;
            transB = o.attrInt("transB", 0) != 0;
            if (o.hasInput(2)) bias = o.input(2);
        } else if (TransformerFusion.is(o, "MatMul")) {
            Node add = f.sole(o.output(0));
            if (TransformerFusion.is(add, "Add") && add.inputs().size() == 2) {
                String other = add.input(0).equals(o.output(0)) ? add.input(1) : add.input(0);
                Tensor b = f.constant(other);
                if (b != null && b.rank() == 1) {
                    bias = other;
                    y = add;
                }
            }
        } else return null;
        Tensor w = f.constant(wName);
        if (w == null || w.rank() != 2 || w.dtype() != DType.FLOAT || w.dim(transB ? 1 : 0) != c) return null;
        int m = w.dim(transB ? 0 : 1);
        Tensor b = bias == null ? null : f.constant(bias);
        if (bias != null && (b == null || b.size() != m)) return null;
        Node back = f.sole(y.output(0)), tr = back == null ? null : f.sole(back.output(0));
        int[][] bs = back == null ? null : s.at(back.output(0), 3);
        if (!TransformerFusion.is(back, "Reshape") || !isTranspose(tr, SWAP) || bs == null || !Arrays.equals(bs[0], new int[] {t[0], 2, m})
                || !Arrays.equals(bs[1], new int[] {t[1], 3, m})) return null;
        if (transB) {
            // a training tape's parameters are the graph's initializers: transpose the weight in the graph there
            if (f.training()) {
                String wt = g.freshName(wName + "_t");
                added.add(new Node(base + "/OutProjectionWeight", "Transpose", List.of(wName), List.of(wt)).set(Attribute.of("perm", 1L, 0L)));
                wName = wt;
            } else {
                float[] wt = new float[c * m], wv = w.toFloats();
                for (int i = 0; i < m; i++) for (int k = 0; k < c; k++) wt[k * m + i] = wv[i * c + k];
                wName = g.freshName(wName + "_t");
                g.initializers().put(wName, Tensor.of(wt, c, m));
            }
        }
        String mm = bias == null ? tr.output(0) : g.freshName(base + "_out_nobias");
        added.add(new Node(o.name(), "MatMul", List.of(flat, wName), List.of(mm)));
        if (bias != null) added.add(new Node(base + "/AttentionOutBias", "Add", List.of(mm, bias), List.of(tr.output(0))));
        return tr;
    }

    /**
     * What {@code v} is part {@code j} of, along the last of 3 axes, in parts of {@code c}: output j of a three-way
     * Split, or a Slice [j·c, (j+1)·c) with step 1 (exporters before canonicalization); null otherwise.
     */
    static String partOf(TransformerFusion f, String v, int j, int c) {
        Graph g = f.graph();
        Node p = f.producer(v);
        if (TransformerFusion.is(p, "Split")) {
            long axis = p.attrInt("axis", 0);
            return p.outputs().size() == 3 && p.output(j).equals(v) && (axis == 2 || axis == -1) ? p.input(0) : null;
        }
        if (!TransformerFusion.is(p, "Slice") || f.opset() < 10 || !p.hasInput(3)) return null;
        long[] starts = f.ints(p.input(1)), ends = f.ints(p.input(2)), axes = f.ints(p.input(3)), steps = p.hasInput(4) ? f.ints(p.input(4)) : new long[] {1};
        if (starts == null || ends == null || axes == null || steps == null || starts.length != 1 || ends.length != 1 || axes.length != 1 || steps.length != 1)
            return null;
        // the last part may end past the axis (INT64_MAX): Slice clamps it
        boolean end = ends[0] == (j + 1L) * c || j == 2 && ends[0] >= 3L * c;
        return (axes[0] == 2 || axes[0] == -1) && steps[0] == 1 && starts[0] == (long) j * c && end ? p.input(0) : null;
    }

    private static Node constant(Graph g, String base, long... v) {
        return new Node(base, "Constant", List.of(), List.of(g.freshName(base))).set(Attribute.of("value", Tensor.vector(v)));
    }

    private static boolean isTranspose(Node n, long[] perm) { return TransformerFusion.is(n, "Transpose") && Arrays.equals(n.attrInts("perm", null), perm); }
}
