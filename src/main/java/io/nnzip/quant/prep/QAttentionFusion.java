package io.nnzip.quant.prep;

import static io.nnzip.quant.prep.Chains.isOp;
import static io.nnzip.quant.prep.Chains.only;
import static io.nnzip.quant.prep.Chains.onlyValues;
import static io.nnzip.quant.prep.Chains.single;
import static io.nnzip.quant.prep.Chains.singleValues;

import io.nnzip.engine.ConstantValue;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes ONNX Runtime's com.microsoft {@code QAttention} for each self-attention block of an int8 QDQ transformer
 * (the linear placement after {@link QkvSplit} and {@link LinearToGemm}), matched by structure, not by names:
 * <pre>
 * xq = QuantizeLinear(x2d) (u8, per tensor);  a = DequantizeLinear(xq)
 * for j in q, k, v:  Gemm(a, DQ(W_j s8 [K, C]), DQ(b_j)) → Reshape (B, N, C) → Reshape (B, N, h, d) → Transpose (0,2,1,3)
 * scores = MatMul(q, Transpose(k, (0,1,3,2)))  [or k transposed (0,2,3,1) straight from its Reshape]  · or ÷ scalar
 * y = MatMul(Softmax(scores), v) → Transpose (0,2,1,3)   [or {@link ValueHeadLayout}'s MatMul(vᵀ, Softmax(..)ᵀ) → (0,3,1,2)]
 * out = Reshape (B, N, C)
 * </pre>
 * becomes {@code out = QAttention(Reshape(xq, (-1, N, K)), W s8 [K, 3C], b f32 [3C], x scale, W scales [3C], , x
 * zero point)}, num_heads h. The fused weight is the three int8 weights side by side with their own per-column
 * scales (no re-rounding: ORT 1.20's CPU kernel takes per-column weight scales); a score scale other than 1/√d
 * multiplies the q columns' scales and bias. The same function up to float rounding order; ORT runs the block in
 * one kernel (integer QKV GEMM, per batch × head attention) instead of three QGemm and eight reshapes/transposes.
 * The scores may instead be scaled before the MatMul, q and kᵀ each by a scalar (PyTorch 2's export of
 * scaled_dot_product_attention, √(1/√d) from q's shape, folded to a constant by canonicalization); the product of
 * the two is the scale.
 * Each tensor of the chain must be read only by the next op (a projection's output may also be read by Shape, as
 * exporters with a dynamic batch do). Anything else (masks or other ops between scores and Softmax, a tensor read outside the block, int8
 * activations, non-int8 or zero-point weights, mismatched heads) leaves the block as it is. nnzip's engine runs
 * the op ({@code engine/ops/QAttentionOp}). {@link TorchMhaFusion} matches nn.MultiheadAttention's export.
 */
public final class QAttentionFusion {
    public static final String DOMAIN = "com.microsoft";
    private static final long[] HEADS = {0, 2, 1, 3}, KT = {0, 1, 3, 2}, K_DIRECT = {0, 2, 3, 1}, MERGE_T = {0, 3, 1, 2};

    private QAttentionFusion() {}

    /** Rewrites in place; returns the number of attention blocks fused. */
    public static int rewrite(Model m) {
        Graph g = m.graph();
        int opset = m.opset();
        Map<String, ValueType> one = ShapeInference.infer(g, opset, 1, Map.of());
        // nn.MultiheadAttention's (T, B·h, d) layout is checked at two batch sizes
        Map<String, ValueType> two = g.nodes().stream().anyMatch(n -> isOp(n, "Softmax") && TorchMhaFusion.candidate(one, n))
                ? ShapeInference.infer(g, opset, 2, Map.of()) : Map.of();
        int done = 0;
        for (Node sm : List.copyOf(g.nodes()))
            if (isOp(sm, "Softmax") && (fuse(g, opset, one, sm) || TorchMhaFusion.candidate(one, sm) && TorchMhaFusion.fuse(g, opset, one, two, sm))) done++;
        if (done > 0) {
            m.opsets().putIfAbsent(DOMAIN, 1L);
            GraphEdits.removeDeadNodes(g);
            g.removeUnusedInitializers();
            TopoSort.sort(g);
        }
        return done;
    }

    /** One projection's path from the Gemm to the head tensor. */
    private record Proj(Node gemm, String headsIn) {}

    private static boolean fuse(Graph g, int opset, Map<String, ValueType> one, Node sm) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        Set<String> outs = new HashSet<>(g.outputNames());
        ValueType scores = one.get(sm.input(0));
        if (scores == null || !scores.hasShape() || scores.rank() != 4) return false;
        // before opset 13 Softmax's axis defaults to 1 and flattens the axes after it; axis 3 (or -1) is the last one either way
        long axis = sm.attrInt("axis", opset < 13 ? 1 : -1);
        if (axis != -1 && axis != 3) return false;
        Node sc = only(consumers, outs, producers.get(sm.input(0)), sm);
        if (sc == null || !sc.domain().isEmpty()) return false;
        float scale;
        Node qt, kt;
        if (sc.opType().equals("MatMul")) {
            // scaled_dot_product_attention as PyTorch 2 exports it: q and kᵀ each times √scale before the MatMul
            Node mq = only(consumers, outs, producers.get(sc.input(0)), sc), mk = only(consumers, outs, producers.get(sc.input(1)), sc);
            Float fq = factor(g, producers, opset, mq), fk = factor(g, producers, opset, mk);
            if (fq == null || fk == null) return false;
            scale = fq * fk;
            qt = only(consumers, outs, producers.get(scaled(g, producers, opset, mq)), mq);
            kt = only(consumers, outs, producers.get(scaled(g, producers, opset, mk)), mk);
        } else {
            if (!(sc.opType().equals("Mul") || sc.opType().equals("Div"))) return false;
            Node p0 = producers.get(sc.input(0));
            int at = p0 != null && p0.opType().equals("MatMul") ? 0 : 1;
            if (sc.opType().equals("Div") && at != 0) return false;
            Tensor s = ConstantValue.of(g, sc.input(1 - at), producers, opset);
            if (s == null || s.size() != 1) return false;
            scale = sc.opType().equals("Mul") ? s.toFloats()[0] : 1 / s.toFloats()[0];
            Node qk = only(consumers, outs, producers.get(sc.input(at)), sc);
            if (!isOp(qk, "MatMul")) return false;
            // q: Transpose (0,2,1,3) of its heads; k: (0,1,3,2) of its (0,2,1,3) heads, or (0,2,3,1) of the Reshape
            qt = only(consumers, outs, producers.get(qk.input(0)), qk);
            kt = only(consumers, outs, producers.get(qk.input(1)), qk);
        }
        if (!isTranspose(qt, HEADS) || kt == null) return false;
        String kHeads;
        if (isTranspose(kt, KT)) {
            Node kh = only(consumers, outs, producers.get(kt.input(0)), kt);
            if (!isTranspose(kh, HEADS)) return false;
            kHeads = kh.input(0);
        } else if (isTranspose(kt, K_DIRECT)) kHeads = kt.input(0);
        else return false;
        // a·v in either layout, then the head merge
        List<Node> readers = consumers.getOrDefault(sm.output(0), List.of());
        if (readers.size() != 1 || outs.contains(sm.output(0))) return false;
        Node r = readers.get(0), av, vt, merge;
        long[] mergePerm;
        if (isOp(r, "MatMul") && r.input(0).equals(sm.output(0)) && !r.input(1).equals(sm.output(0))) {
            av = r;
            vt = only(consumers, outs, producers.get(av.input(1)), av);
            if (!isTranspose(vt, HEADS)) return false;
            mergePerm = HEADS;
        } else if (isTranspose(r, KT)) {
            List<Node> rr = consumers.getOrDefault(r.output(0), List.of());
            if (rr.size() != 1 || outs.contains(r.output(0)) || !isOp(rr.get(0), "MatMul") || !rr.get(0).input(1).equals(r.output(0))) return false;
            av = rr.get(0);
            vt = only(consumers, outs, producers.get(av.input(0)), av);
            if (!isTranspose(vt, K_DIRECT)) return false;
            mergePerm = MERGE_T;
        } else return false;
        merge = single(consumers, outs, av);
        if (!isTranspose(merge, mergePerm)) return false;
        // Hugging Face's modules also read the merged heads' shape for the Reshape's target
        Node ors = singleValues(consumers, outs, merge);
        if (!isOp(ors, "Reshape")) return false;
        ValueType merged = one.get(ors.output(0));
        // the three projections
        Proj[] proj = new Proj[3];
        Node[] headT = {qt, null, vt};
        String[] headsOut = {qt.input(0), kHeads, vt.input(0)};
        int h = -1, d = -1, n = -1;
        for (int j = 0; j < 3; j++) {
            Node reader = j == 1 ? (isTranspose(kt, KT) ? producers.get(kt.input(0)) : kt) : headT[j];
            Node rs = only(consumers, outs, producers.get(headsOut[j]), reader);
            if (!isOp(rs, "Reshape")) return false;
            ValueType x = one.get(rs.input(0)), y = one.get(rs.output(0));
            if (x == null || y == null || !x.hasShape() || !y.hasShape() || x.rank() != 3 || y.rank() != 4) return false;
            int[] ys = y.shape();
            if (h >= 0 && (h != ys[2] || d != ys[3] || n != ys[1])) return false;
            h = ys[2];
            d = ys[3];
            n = ys[1];
            if (h <= 0 || d <= 0 || n <= 0 || x.shape()[2] != h * d || x.shape()[1] != n) return false;
            // exporters with a dynamic batch also read the projection's shape (Shape → … → the head Reshape's target)
            Node tond = onlyValues(consumers, outs, producers.get(rs.input(0)), rs);
            if (!isOp(tond, "Reshape")) return false;
            Node gemm = only(consumers, outs, producers.get(tond.input(0)), tond);
            if (!isOp(gemm, "Gemm") || gemm.attrInt("transA", 0) != 0 || gemm.attrInt("transB", 0) != 0
                    || gemm.attrFloat("alpha", 1f) != 1f || gemm.attrFloat("beta", 1f) != 1f) return false;
            proj[j] = new Proj(gemm, rs.input(0));
        }
        int c = h * d;
        if (merged == null || !merged.hasShape() || merged.rank() != 3 || merged.shape()[1] != n || merged.shape()[2] != c) return false;
        // one quantized input for all three
        String a = proj[0].gemm.input(0);
        if (!a.equals(proj[1].gemm.input(0)) || !a.equals(proj[2].gemm.input(0))) return false;
        Node dqA = producers.get(a);
        if (!isOp(dqA, "DequantizeLinear") || !dqA.hasInput(2)) return false;
        Tensor inScale = g.initializer(dqA.input(1)), inZp = g.initializer(dqA.input(2));
        if (inScale == null || inZp == null || inScale.size() != 1 || inZp.size() != 1 || inZp.dtype() != DType.UINT8) return false;
        Node qx = producers.get(dqA.input(0));
        if (!isOp(qx, "QuantizeLinear")) return false;
        ValueType xv = one.get(dqA.input(0));
        if (xv == null || !xv.hasShape() || xv.rank() != 2) return false;
        int k = xv.shape()[1];
        // weights: int8 [K, C], scale per tensor or per column, zero points 0; bias dequantized or float
        byte[] w = new byte[k * 3 * c];
        float[] ws = new float[3 * c], bias = new float[3 * c];
        for (int j = 0; j < 3; j++) {
            Node gm = proj[j].gemm;
            if (!packWeight(g, producers, gm.input(1), k, 0, c, j, w, ws)) return false;
            if (gm.hasInput(2) && !packBias(g, producers, opset, gm.input(2), c, 0, c, j, bias)) return false;
        }
        String base = sm.name().isEmpty() ? sm.output(0) : sm.name();
        String shape = g.freshName(base + "_qattention_in_shape"), in3 = g.freshName(base + "_qattention_in");
        int pos = g.nodes().indexOf(ors);
        Node qa = emit(g, base, in3, k, h, d, w, ws, bias, scale, dqA, ors.output(0));
        if (qa == null) return false;
        g.initializers().put(shape, Tensor.vector(-1, n, k));
        g.nodes().set(pos, qa);
        g.nodes().add(pos, new Node(base + "/QAttentionInput", "Reshape", List.of(dqA.input(0), shape), List.of(in3)));
        // the rest of the block has no other readers: dead-node removal takes it
        return true;
    }

    /**
     * Copies columns [from, from + c) of {@code dq} = DequantizeLinear(int8 [K, cols], scale per tensor or per column,
     * zero points 0) into column block j of the fused weight w [K, 3c] and their scales into ws; false when the
     * weight is no such constant.
     */
    static boolean packWeight(Graph g, Map<String, Node> producers, String dq, int k, int from, int c, int j, byte[] w, float[] ws) {
        Node dqW = producers.get(dq);
        if (!isOp(dqW, "DequantizeLinear")) return false;
        Tensor wq = g.initializer(dqW.input(0)), wsc = g.initializer(dqW.input(1)), wzp = dqW.hasInput(2) ? g.initializer(dqW.input(2)) : null;
        if (wq == null || wsc == null || wq.dtype() != DType.INT8 || wq.rank() != 2 || wq.dim(0) != k || wq.dim(1) < from + c) return false;
        int cols = wq.dim(1);
        if (dqW.hasInput(2) && (wzp == null || Arrays.stream(wzp.toLongs()).anyMatch(z -> z != 0))) return false;
        if (wsc.size() != 1 && (wsc.size() != cols || dqW.attrInt("axis", 1) != 1)) return false;
        byte[] src = wq.bytes();
        for (int row = 0; row < k; row++) System.arraycopy(src, row * cols + from, w, row * 3 * c + j * c, c);
        float[] sv = wsc.toFloats();
        for (int col = 0; col < c; col++) ws[j * c + col] = sv[sv.length == 1 ? 0 : from + col];
        return true;
    }

    /**
     * Values [from, from + c) of a constant bias of {@code total} values (an initializer, a Constant, or
     * DequantizeLinear of constants) into block j; false for anything else.
     */
    static boolean packBias(Graph g, Map<String, Node> producers, int opset, String name, int total, int from, int c, int j, float[] bias) {
        Tensor bt = ConstantValue.of(g, name, producers, opset);
        float[] b = bt == null ? null : bt.toFloats();
        if (b == null || b.length != total || total < from + c) return false;
        System.arraycopy(b, from, bias, j * c, c);
        return true;
    }

    /**
     * {@code out = QAttention(in3, w, bias, x scale, ws, , x zero point)} with h heads of d, its initializers added to
     * g; the input's scale and zero point are those of {@code dqA}'s. QAttention scales scores by 1/√d: another
     * score scale goes into the q columns. Null (and g unchanged) when the scale cannot be folded.
     */
    static Node emit(Graph g, String base, String in3, int k, int h, int d, byte[] w, float[] ws, float[] bias, float scale, Node dqA, String out) {
        int c = h * d;
        double ratio = scale * Math.sqrt(d);
        if (!(ratio > 0) || Double.isInfinite(ratio)) return null;
        if (Math.abs(ratio - 1) > 1e-6)
            for (int col = 0; col < c; col++) {
                ws[col] *= (float) ratio;
                bias[col] *= (float) ratio;
            }
        String wn = g.freshName(base + "_qkv_weight_q");
        g.initializers().put(wn, new Tensor(DType.INT8, new int[] {k, 3 * c}, w));
        String wsn = g.freshName(base + "_qkv_weight_scale");
        g.initializers().put(wsn, Tensor.of(ws, 3 * c));
        String bn = g.freshName(base + "_qkv_bias");
        g.initializers().put(bn, Tensor.of(bias, 3 * c));
        return new Node(base + "/QAttention", "QAttention", DOMAIN, List.of(in3, wn, bn, dqA.input(1), wsn, "", dqA.input(2)), List.of(out))
                .set(Attribute.of("num_heads", (long) h));
    }

    /** The constant scalar a Mul multiplies by (canonicalization has folded PyTorch 2's √(1/√d) from q's static last dim), or null. */
    private static Float factor(Graph g, Map<String, Node> producers, int opset, Node mul) {
        if (!isOp(mul, "Mul")) return null;
        for (int i = 0; i < 2; i++) {
            Float f = scalar(g, producers, opset, mul.input(i));
            if (f != null && scalar(g, producers, opset, mul.input(1 - i)) == null) return f;
        }
        return null;
    }

    /** The operand of {@code mul} that {@link #factor} does not take. */
    private static String scaled(Graph g, Map<String, Node> producers, int opset, Node mul) {
        return scalar(g, producers, opset, mul.input(0)) != null ? mul.input(1) : mul.input(0);
    }

    private static Float scalar(Graph g, Map<String, Node> producers, int opset, String name) {
        Tensor t = ConstantValue.of(g, name, producers, opset);
        return t == null || t.size() != 1 || !t.dtype().isFloating() ? null : t.toFloats()[0];
    }

    private static boolean isTranspose(Node n, long[] perm) { return isOp(n, "Transpose") && Arrays.equals(n.attrInts("perm", null), perm); }
}
