package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.AttentionCore;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.List;

/**
 * ONNX Runtime's com.microsoft.QAttention, which nnzip's int8 transformer placement writes for each attention block
 * ({@code quant/prep/QAttentionFusion}):
 * <pre>
 * QAttention(input u8|s8 (B, S, K), weight s8|u8 (K, 3C), bias f32 (3C), input_scale (), weight_scale () or (3C),
 *            [mask], [input_zero_point ()], [weight_zero_point () or (3C)]), attribute num_heads H   -> output f32 (B, S, C)
 *   qkv = ((input − izp)·input_scale) · ((weight − wzp)·weight_scale per column) + bias       (B, S, 3C) = [q | k | v]
 *   output[b, i, h] = Σ_j softmax_j(q[b,i,h]·k[b,j,h] · scale) · v[b,j,h]   (D = C / H; heads are D-wide column slices;
 *                                                                          attribute scale, 0 or absent: 1/√D)
 * </pre>
 * The two operands are dequantized and multiplied by the engine's float MatMul (ORT multiplies the integers and
 * scales the int32 sums: the same values up to float rounding). Masks, past state, unidirectional attention and the
 * present output are refused ({@link UnsupportedOpException}).
 */
final class QAttentionOp {
    private QAttentionOp() {}

    static void register() {
        OpRegistry.register("com.microsoft", "QAttention", QAttentionOp::run, (n, in, o) -> {
            int[] s = in[0].shape(), w = in[1].shape();
            if (s == null || w == null || s.length != 3 || w.length != 2) return Rules.one(DType.FLOAT, null);
            return Rules.one(DType.FLOAT, new int[] {s[0], s[1], w[1] / 3});
        });
    }

    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        if (in.length > 5 && in[5] != null || in.length > 8 && in[8] != null) throw new UnsupportedOpException("QAttention with a mask or past state");
        if (n.attrInt("unidirectional", 0) != 0) throw new UnsupportedOpException("QAttention unidirectional");
        if (n.attrInt("do_rotary", 0) != 0) throw new UnsupportedOpException("QAttention with rotary embeddings");
        if (n.outputs().size() > 1 && !n.output(1).isEmpty()) throw new UnsupportedOpException("QAttention present output");
        Tensor x = in[0], w = in[1];
        int[] s = x.shape(), ws = w.shape();
        if (s.length != 3 || ws.length != 2 || ws[0] != s[2] || ws[1] % 3 != 0)
            throw new NnzipException(n.describe() + ": input " + Shapes.str(s) + " and weight " + Shapes.str(ws) + " are not (B, S, K) and (K, 3C)");
        int c = ws[1] / 3, heads = (int) n.attrInt("num_heads", 0);
        if (heads <= 0 || c % heads != 0) throw new NnzipException(n.describe() + ": num_heads " + heads + " does not divide " + c);
        int d = c / heads, rows = s[0] * s[1];
        float[] xf = dequantize(n, x, in[3], in.length > 6 ? in[6] : null, 1, "input");
        float[] wf = dequantize(n, w, in[4], in.length > 7 ? in[7] : null, ws[1], "weight");
        Node mm = new Node(n.name(), "MatMul", List.of(n.input(0), n.input(1)), List.of(n.output(0)));
        Tensor qkv = OpRegistry.get(mm).kernel().run(mm, new Tensor[] {Tensor.of(xf, rows, s[2]), Tensor.of(wf, ws)}, ctx)[0];
        float[] p = qkv.floats().clone(), b = ConvOps.floatInput(n, in, 2).floats();
        if (b.length != 3 * c) throw new NnzipException(n.describe() + ": bias has " + b.length + " values, not " + 3 * c);
        for (int r = 0; r < rows; r++) for (int j = 0; j < 3 * c; j++) p[r * 3 * c + j] += b[j];
        float[] y = ctx.floats(rows * c);
        // a file from another writer may carry the score scale; ours folds it into q's columns (0 = ORT's default)
        float scale = n.attrFloat("scale", 0f);
        AttentionCore.run(p, y, s[0], s[1], heads, d, scale != 0f ? scale : (float) (1 / Math.sqrt(d)), null, ctx.parallel());
        return new Tensor[] {Tensor.of(y, s[0], s[1], c)};
    }

    /** (q − zp)·scale with scale/zero point per tensor or per last-axis column ({@code cols} wide). */
    private static float[] dequantize(Node n, Tensor q, Tensor scale, Tensor zp, int cols, String what) {
        if (q.dtype() != DType.UINT8 && q.dtype() != DType.INT8) throw new UnsupportedOpException("QAttention " + what + " of type " + q.dtype().lower());
        if (scale == null) throw new NnzipException(n.describe() + ": missing " + what + " scale");
        float[] sc = scale.toFloats();
        long[] z = zp == null ? null : zp.toLongs();
        if (sc.length != 1 && sc.length != cols || z != null && z.length != 1 && z.length != cols)
            throw new NnzipException(n.describe() + ": " + what + " scale/zero point of " + sc.length + " values for " + cols + " columns");
        byte[] v = q.bytes();
        boolean unsigned = q.dtype() == DType.UINT8;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int col = i % cols, val = unsigned ? v[i] & 0xff : v[i];
            long zero = z == null ? 0 : z[z.length == 1 ? 0 : col];
            out[i] = (val - zero) * sc[sc.length == 1 ? 0 : col];
        }
        return out;
    }
}
