package io.nnzip.quant.prep;

import static io.nnzip.quant.prep.Chains.isOp;
import static io.nnzip.quant.prep.Chains.only;
import static io.nnzip.quant.prep.Chains.onlyValues;
import static io.nnzip.quant.prep.Chains.single;

import io.nnzip.engine.ConstantValue;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link QAttentionFusion} for attention as PyTorch exports {@code nn.MultiheadAttention} (F.multi_head_attention_forward,
 * used by torchvision's VisionTransformer and nn.TransformerEncoderLayer), whose batch_first input is transposed to
 * (T, B, D) and whose heads live in a (T, B·h, d) layout:
 * <pre>
 * xq = QuantizeLinear(Transpose(x (B, T, K), (1,0,2)));  a = DequantizeLinear(xq)
 * Split(MatMul(a, DQ(W s8 [K, 3C])) [+ b (3C)], last axis) → q, k, v, each Reshape (T, B·h, d)
 * scores = MatMul(Transpose(q, (1,0,2)) [· or ÷ scalar], Transpose(k, (1,2,0))) [· or ÷ scalar]
 * y = MatMul(Softmax(scores), Transpose(v, (1,0,2))) → Transpose (1,0,2) → Reshape (T·B, C)
 * </pre>
 * becomes QAttention(QuantizeLinear(x) (B, T, K), W, b, …): quantizing before the Transpose gives the same integers.
 * After {@link TransposeAfterLinear} and {@link LinearToGemm} the projection is instead Gemm(DQ(xq (B·T, K)), DQ(W), b)
 * → Reshape (B, T, 3C) → Transpose (1,0,2) → Split, and QAttention reads Reshape(xq, (-1, T, K)).
 * The Split output each of q, k, v reads picks its weight columns. QAttention's output is (B, T, C) where the
 * merge's was (T·B, C). When what reads the merge is row-wise (per-tensor QuantizeLinear/DequantizeLinear, then the
 * out-projection Gemm) and the Gemm's rows go Reshape (T, B, M) → Transpose (1,0,2), the rows are simply kept in
 * (B, T) order and those two become one Reshape (B, T, M); otherwise a Transpose restores the (T, B) order. The
 * same function up to float rounding order. The head Reshapes must give h·d = C at batch 1 and 2·h heads at batch 2.
 */
public final class TorchMhaFusion {
    private static final long[] SWAP = {1, 0, 2}, K_T = {1, 2, 0};

    private TorchMhaFusion() {}

    /** Scores of rank 3 ((B·h, T, T)): the layout this class matches. */
    static boolean candidate(Map<String, ValueType> one, Node sm) {
        ValueType s = one.get(sm.input(0));
        return s != null && s.hasShape() && s.rank() == 3;
    }

    /** Fuses the block around {@code sm} (shapes at batch 1 and 2); false and g unchanged when it does not match. */
    static boolean fuse(Graph g, int opset, Map<String, ValueType> one, Map<String, ValueType> two, Node sm) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        Set<String> outs = new HashSet<>(g.outputNames());
        if (!candidate(one, sm)) return false;
        // before opset 13 Softmax's default axis 1 would flatten the last two axes: only an explicit last axis
        long axis = sm.attrInt("axis", opset < 13 ? 1 : -1);
        if (axis != -1 && axis != 2) return false;
        float[] scale = {1f};
        Node qk = unscaled(g, opset, consumers, outs, producers, producers.get(sm.input(0)), sm, scale);
        if (!isOp(qk, "MatMul")) return false;
        Node qt = unscaled(g, opset, consumers, outs, producers, producers.get(qk.input(0)), qk, scale);
        Node kt = only(consumers, outs, producers.get(qk.input(1)), qk);
        if (!isTranspose(qt, SWAP) || !isTranspose(kt, K_T)) return false;
        Node av = single(consumers, outs, sm);
        if (!isOp(av, "MatMul") || !av.input(0).equals(sm.output(0)) || av.input(1).equals(sm.output(0))) return false;
        Node vt = only(consumers, outs, producers.get(av.input(1)), av), merge = single(consumers, outs, av);
        if (!isTranspose(vt, SWAP) || !isTranspose(merge, SWAP)) return false;
        Node ors = single(consumers, outs, merge);
        if (!isOp(ors, "Reshape")) return false;
        // the head Reshapes read the three outputs of one Split of the projection
        Node[] heads = {qt, kt, vt};
        int[] block = new int[3];
        Node split = null;
        int t = -1, h = -1, d = -1, c = -1;
        for (int j = 0; j < 3; j++) {
            Node rs = only(consumers, outs, producers.get(heads[j].input(0)), heads[j]);
            if (!isOp(rs, "Reshape")) return false;
            ValueType x1 = one.get(rs.input(0)), y1 = one.get(rs.output(0)), y2 = two.get(rs.output(0));
            if (!shaped(x1, 3) || !shaped(y1, 3) || !shaped(y2, 3)) return false;
            if (j == 0) {
                t = y1.shape()[0];
                h = y1.shape()[1];
                d = y1.shape()[2];
                c = h * d;
            }
            if (t <= 0 || h <= 0 || d <= 0 || !Arrays.equals(y1.shape(), new int[] {t, h, d}) || !Arrays.equals(x1.shape(), new int[] {t, 1, c})
                    || !Arrays.equals(y2.shape(), new int[] {t, 2 * h, d})) return false;
            Node sp = producers.get(rs.input(0));
            if (!isOp(sp, "Split") || sp.outputs().size() != 3 || (split != null && sp != split)) return false;
            split = sp;
            // dynamic-batch exports also read the slices' shapes
            List<Node> readers = consumers.getOrDefault(rs.input(0), List.of());
            if (outs.contains(rs.input(0)) || !readers.stream().allMatch(r -> r == rs || isOp(r, "Shape"))) return false;
            block[j] = sp.outputs().indexOf(rs.input(0));
        }
        if (block[0] == block[1] || block[1] == block[2] || block[0] == block[2]) return false;
        long splitAxis = split.attrInt("axis", 0);
        if (splitAxis != 2 && splitAxis != -1) return false;
        ValueType merged1 = one.get(ors.output(0)), merged2 = two.get(ors.output(0));
        if (!shaped(merged1, 2) || !shaped(merged2, 2) || !Arrays.equals(merged1.shape(), new int[] {t, c}) || !Arrays.equals(merged2.shape(), new int[] {2 * t, c}))
            return false;
        // the projection: MatMul(DQ(xq), DQ(W)) [+ bias] on the transposed input, or (after TransposeAfterLinear and
        // LinearToGemm) Gemm(DQ(xq (B·T, K)), DQ(W), bias) → Reshape (B, T, 3C) → Transpose (1,0,2)
        Node p = only(consumers, outs, producers.get(split.input(0)), split), proj = p, xt = null;
        String biasName = null;
        if (isTranspose(p, SWAP)) {
            Node tond = onlyValues(consumers, outs, producers.get(p.input(0)), p);
            ValueType r1 = tond == null ? null : one.get(tond.output(0)), r2 = tond == null ? null : two.get(tond.output(0));
            if (!isOp(tond, "Reshape") || !shaped(r1, 3) || !shaped(r2, 3) || !Arrays.equals(r1.shape(), new int[] {1, t, 3 * c})
                    || !Arrays.equals(r2.shape(), new int[] {2, t, 3 * c})) return false;
            proj = only(consumers, outs, producers.get(tond.input(0)), tond);
            if (!isOp(proj, "Gemm") || proj.attrInt("transA", 0) != 0 || proj.attrInt("transB", 0) != 0
                    || proj.attrFloat("alpha", 1f) != 1f || proj.attrFloat("beta", 1f) != 1f) return false;
            if (proj.hasInput(2)) biasName = proj.input(2);
        } else {
            if (isOp(p, "Add")) {
                int at = isOp(producers.get(p.input(0)), "MatMul") ? 0 : 1;
                biasName = p.input(1 - at);
                proj = only(consumers, outs, producers.get(p.input(at)), p);
            }
            if (!isOp(proj, "MatMul")) return false;
        }
        Node dqA = producers.get(proj.input(0));
        if (!isOp(dqA, "DequantizeLinear") || !dqA.hasInput(2)) return false;
        Tensor inScale = g.initializer(dqA.input(1)), inZp = g.initializer(dqA.input(2));
        if (inScale == null || inZp == null || inScale.size() != 1 || inZp.size() != 1 || inZp.dtype() != DType.UINT8) return false;
        Node qx = producers.get(dqA.input(0));
        if (!isOp(qx, "QuantizeLinear") || !qx.hasInput(2)) return false;
        int k;
        if (isOp(proj, "MatMul")) {
            xt = producers.get(qx.input(0));
            if (!isTranspose(xt, SWAP)) return false;
            ValueType x1 = one.get(xt.input(0));
            if (!shaped(x1, 3) || x1.shape()[1] != t || x1.shape()[2] <= 0) return false;
            k = x1.shape()[2];
        } else {
            ValueType x1 = one.get(dqA.input(0));
            if (!shaped(x1, 2) || x1.shape()[1] <= 0) return false;
            k = x1.shape()[1];
        }
        byte[] w = new byte[k * 3 * c];
        float[] ws = new float[3 * c], bias = new float[3 * c];
        for (int j = 0; j < 3; j++) {
            if (!QAttentionFusion.packWeight(g, producers, proj.input(1), k, block[j] * c, c, j, w, ws)) return false;
            if (biasName != null && !QAttentionFusion.packBias(g, producers, opset, biasName, 3 * c, block[j] * c, c, j, bias)) return false;
        }
        // what reads the merged heads: row-wise ops up to the out-projection, then Reshape (T, B, M) → Transpose (1,0,2)
        Node back = null, swapBack = null;
        Node cur = ors, nx = single(consumers, outs, cur);
        while ((isOp(nx, "QuantizeLinear") || isOp(nx, "DequantizeLinear")) && nx.input(0).equals(cur.output(0)) && perTensor(g, nx)) {
            cur = nx;
            nx = single(consumers, outs, cur);
        }
        if (isOp(nx, "Gemm") && nx.input(0).equals(cur.output(0)) && nx.attrInt("transA", 0) == 0) {
            Node rs = single(consumers, outs, nx), tr = rs == null ? null : single(consumers, outs, rs);
            ValueType r1 = rs == null ? null : one.get(rs.output(0)), r2 = rs == null ? null : two.get(rs.output(0));
            if (isOp(rs, "Reshape") && isTranspose(tr, SWAP) && shaped(r1, 3) && shaped(r2, 3) && r1.shape()[0] == t && r1.shape()[1] == 1
                    && r2.shape()[0] == t && r2.shape()[1] == 2 && r1.shape()[2] > 0) {
                back = rs;
                swapBack = tr;
            }
        }
        String base = sm.name().isEmpty() ? sm.output(0) : sm.name();
        String xq = g.freshName(base + "_qattention_in"), att = g.freshName(base + "_qattention_out");
        Node qa = QAttentionFusion.emit(g, base, xq, k, h, d, w, ws, bias, scale[0], dqA, att);
        if (qa == null) return false;
        List<Node> added = new ArrayList<>();
        if (xt != null) added.add(new Node(base + "/QAttentionInput", "QuantizeLinear", List.of(xt.input(0), qx.input(1), qx.input(2)), List.of(xq)));
        else {
            String shape = g.freshName(base + "_qattention_in_shape");
            g.initializers().put(shape, Tensor.vector(-1, t, k));
            added.add(new Node(base + "/QAttentionInput", "Reshape", List.of(dqA.input(0), shape), List.of(xq)));
        }
        added.add(qa);
        String flat = g.freshName(base + "_qattention_rows_shape");
        g.initializers().put(flat, Tensor.vector(-1, c));
        if (back != null) {
            // rows stay in (B, T) order through the out-projection; its Reshape gives (B, T, M) at once
            added.add(new Node(base + "/QAttentionRows", "Reshape", List.of(att, flat), List.of(ors.output(0))));
            String nd = g.freshName(base + "_qattention_out_shape");
            g.initializers().put(nd, Tensor.vector(-1, t, one.get(back.output(0)).shape()[2]));
            back.inputs().set(1, nd);
            back.outputs().set(0, swapBack.output(0));
            g.nodes().remove(swapBack);
        } else {
            String tb = g.freshName(base + "_qattention_tb");
            added.add(new Node(base + "/QAttentionToTB", "Transpose", List.of(att), List.of(tb)).set(Attribute.of("perm", SWAP)));
            added.add(new Node(base + "/QAttentionRows", "Reshape", List.of(tb, flat), List.of(ors.output(0))));
        }
        int pos = g.nodes().indexOf(ors);
        g.nodes().remove(pos);
        g.nodes().addAll(pos, added);
        // the rest of the block (and the shape arithmetic feeding its Reshapes) has no other readers: dead-node removal takes it
        return true;
    }

    /**
     * The node {@code p} when only {@code reader} reads it, or, when p is a Mul or Div by a scalar constant, the node
     * under it (its factor multiplied into {@code scale}); null otherwise.
     */
    private static Node unscaled(Graph g, int opset, Map<String, List<Node>> consumers, Set<String> outs, Map<String, Node> producers,
                                 Node p, Node reader, float[] scale) {
        Node n = only(consumers, outs, p, reader);
        if (n == null || !(isOp(n, "Mul") || isOp(n, "Div"))) return n;
        int at = 0;
        Tensor s = ConstantValue.of(g, n.input(1), producers, opset);
        if (s == null && isOp(n, "Mul")) {
            s = ConstantValue.of(g, n.input(0), producers, opset);
            at = 1;
        }
        if (s == null || s.size() != 1) return null;
        float v = s.toFloats()[0];
        scale[0] *= isOp(n, "Mul") ? v : 1 / v;
        return only(consumers, outs, producers.get(n.input(at)), n);
    }

    private static boolean perTensor(Graph g, Node qdq) {
        Tensor s = g.initializer(qdq.input(1));
        return s != null && s.size() == 1;
    }

    private static boolean shaped(ValueType v, int rank) { return v != null && v.hasShape() && v.rank() == rank; }

    private static boolean isTranspose(Node n, long[] perm) { return isOp(n, "Transpose") && Arrays.equals(n.attrInts("perm", null), perm); }
}
