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

/**
 * {@link TransformerFusion}'s attention for blocks that give q, k and v each its own {@code view(B, N, h, d)
 * .transpose(1, 2)} — separate query, key and value Linears (the Hugging Face layout of BERT, ViT and their kin) or
 * one Linear split in three on its last axis (nanoGPT, GPT-2) — as PyTorch exports them:
 * <pre>
 * for j in q, k, v:  MatMul(x, W_j (K, C)) [+ b_j], or part j of Split(MatMul(x, W (K, 3C)) [+ b], last axis)
 *                    → Reshape (B, N, h, d) → Transpose (0,2,1,3)
 * scores = MatMul(q [· or ÷ scalar], kᵀ [· or ÷ scalar]) [· or ÷ scalar] [→ Where masking with −∞], kᵀ = Transpose
 *          (0,1,3,2) of k, or k's Reshape transposed (0,2,3,1) at once
 * y = Transpose(MatMul(Softmax(scores), v), (0,2,1,3))   (B, N, h, d)
 * </pre>
 * becomes AttentionCore on the projection's (B, N, 3C) output, which is its (B, N, 3, h, d) layout; separate Linears
 * first become one MatMul(x, [W_q W_k W_v]) [+ [b_q b_k b_v]]. For inference the joined weight is an initializer; a
 * training tape joins its three parameters with a Concat node each step, so each keeps its gradient. Shapes are
 * checked at two batch sizes (a dynamic sequence length may change with them). Masks: see
 * {@link TransformerFusion#unmasked}; anything else between, or a tensor read outside the block, leaves it as it is.
 */
final class ViewTransposeAttention {
    private static final long[] HEADS = {0, 2, 1, 3}, KT = {0, 1, 3, 2}, K_DIRECT = {0, 2, 3, 1};

    private ViewTransposeAttention() {}

    static boolean fuse(TransformerFusion f, TorchMhaAttention.Shapes s, Node sm) {
        Graph g = f.graph();
        long axis = sm.attrInt("axis", f.opset() >= 13 ? -1 : 1);
        if (!(axis == 3 || axis == -1 && f.opset() >= 13)) return false;
        List<Node> chain = new ArrayList<>(List.of(sm));
        float[] scale = {1f};
        TransformerFusion.Mask[] mask = {null};
        Node qk = f.unscaled(f.unmasked(f.only(sm.input(0), sm), chain, mask), chain, scale);
        if (!TransformerFusion.is(qk, "MatMul")) return false;
        Node qh = f.unscaled(f.only(qk.input(0), qk), chain, scale), kt = f.unscaled(f.only(qk.input(1), qk), chain, scale);
        Node av = f.sole(sm.output(0));
        if (!isTranspose(qh, HEADS) || !TransformerFusion.is(av, "MatMul") || !av.input(0).equals(sm.output(0)) || av.input(1).equals(sm.output(0)))
            return false;
        Node vh = f.only(av.input(1), av), merge = f.sole(av.output(0));
        if (!isTranspose(vh, HEADS) || !isTranspose(merge, HEADS)) return false;
        // k reaches the scores through its head Transpose and a (0,1,3,2) one, or through one (0,2,3,1) Transpose
        Node kHeads = isTranspose(kt, KT) ? f.only(kt.input(0), kt) : kt;
        boolean kDirect = kHeads == kt;
        if (kDirect ? !isTranspose(kt, K_DIRECT) : !isTranspose(kHeads, HEADS)) return false;
        Node[] heads = {qh, kHeads, vh};
        String x = null, source = null;
        String[] w = new String[3], b = new String[3];
        int h = -1, d = -1;
        for (int j = 0; j < 3; j++) {
            Node rs = f.only(heads[j].input(0), heads[j]);
            int[][] y = rs == null ? null : s.at(rs.output(0), 4), in = rs == null ? null : s.at(rs.input(0), 3);
            if (!TransformerFusion.is(rs, "Reshape") || y == null || in == null) return false;
            if (j == 0) {
                h = y[0][2];
                d = y[0][3];
            }
            for (int i = 0; i < 2; i++)
                if (h <= 0 || d <= 0 || y[i][0] <= 0 || y[i][1] <= 0 || !Arrays.equals(y[i], new int[] {in[i][0], in[i][1], h, d}) || in[i][2] != h * d) return false;
            // one projection split in three: AttentionCore reads it as it is
            String src = TorchMhaAttention.partOf(f, rs.input(0), j, h * d);
            if (src != null && (j == 0 || src.equals(source))) {
                source = src;
                continue;
            }
            if (source != null) return false;
            // dynamic-batch exports also read the projections' shapes
            Node lin = f.onlyBesidesShapes(rs.input(0), rs), mm = lin;
            if (TransformerFusion.is(lin, "Add")) {
                int at = TransformerFusion.is(f.producer(lin.input(0)), "MatMul") ? 0 : 1;
                b[j] = lin.input(1 - at);
                Tensor bt = f.constant(b[j]);
                if (bt == null || bt.dtype() != DType.FLOAT || bt.rank() != 1 || bt.size() != h * d) return false;
                mm = f.only(lin.input(at), lin);
            }
            Tensor wt = mm == null ? null : f.constant(mm.input(1));
            if (!TransformerFusion.is(mm, "MatMul") || wt == null || wt.dtype() != DType.FLOAT || wt.rank() != 2 || wt.dim(1) != h * d
                    || x != null && (!x.equals(mm.input(0)) || wt.dim(0) != f.constant(w[0]).dim(0))) return false;
            x = mm.input(0);
            w[j] = mm.input(1);
        }
        String base = sm.name().isEmpty() ? sm.output(0) : sm.name();
        List<Node> added = new ArrayList<>();
        String qkv = source != null ? source : joinedProjection(f, x, w, b, h * d, base, added);
        if (qkv == null) return false;
        String shape = g.freshName(base + "_heads");
        added.add(new Node(shape, "Constant", List.of(), List.of(shape)).set(Attribute.of("value", Tensor.vector(0, 0, 3, h, d))));
        List<String> in = new ArrayList<>(List.of(qkv, shape));
        if (mask[0] != null) mask[0].inputs(g, base + "/AttentionKeep", in, added);
        added.add(new Node(base + "/Attention", AttentionOps.OP, in, List.of(merge.output(0))).set(Attribute.of(AttentionOps.SCALE, scale[0])));
        int pos = g.nodes().indexOf(merge);
        g.nodes().remove(pos);
        g.nodes().addAll(pos, added);
        f.removeDeadNodes();
        return true;
    }

    /** Adds MatMul(x, [W_q W_k W_v]) [+ [b_q b_k b_v]] to {@code added} and returns its output; null if it cannot. */
    private static String joinedProjection(TransformerFusion f, String x, String[] w, String[] b, int c, String base, List<Node> added) {
        Graph g = f.graph();
        boolean biased = b[0] != null || b[1] != null || b[2] != null;
        // a training tape's biases are parameters: all three or none, joined as they are
        if (biased && f.training() && (b[0] == null || b[1] == null || b[2] == null)) return null;
        int k = f.constant(w[0]).dim(0);
        String weight = g.freshName(base + "_qkv_weight"), bias = biased ? g.freshName(base + "_qkv_bias") : null;
        if (f.training()) {
            added.add(new Node(base + "/QkvWeight", "Concat", List.of(w), List.of(weight)).set(Attribute.of("axis", 1L)));
            if (biased) added.add(new Node(base + "/QkvBias", "Concat", List.of(b), List.of(bias)).set(Attribute.of("axis", 0L)));
        } else {
            float[] joined = new float[k * 3 * c], jb = new float[3 * c];
            for (int j = 0; j < 3; j++) {
                float[] wj = f.constant(w[j]).floats();
                for (int r = 0; r < k; r++) System.arraycopy(wj, r * c, joined, r * 3 * c + j * c, c);
                if (b[j] != null) System.arraycopy(f.constant(b[j]).floats(), 0, jb, j * c, c);
            }
            g.initializers().put(weight, Tensor.of(joined, k, 3 * c));
            if (biased) g.initializers().put(bias, Tensor.of(jb, 3 * c));
        }
        String qkv = g.freshName(base + "_qkv"), mmOut = biased ? g.freshName(base + "_qkv_nobias") : qkv;
        added.add(new Node(base + "/QkvProjection", "MatMul", List.of(x, weight), List.of(mmOut)));
        if (biased) added.add(new Node(base + "/QkvProjectionBias", "Add", List.of(mmOut, bias), List.of(qkv)));
        return qkv;
    }

    private static boolean isTranspose(Node n, long[] perm) { return TransformerFusion.is(n, "Transpose") && Arrays.equals(n.attrInts("perm", null), perm); }
}
