package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.AttentionCore;
import io.nnzip.engine.kernels.LayerNormForward;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Two of ONNX Runtime's com.microsoft transformer ops, which nnzip's int8 transformer placement can write
 * ({@code quant/prep/OrtContribFusion}) so that a file runs here as it does in ORT.
 * <pre>
 * SkipLayerNormalization(input, skip, gamma, [beta], [bias]) -> output, [mean], [inv_std_var], [input_skip_bias_sum]
 *   input: (.., C); skip: input's shape, or (1, N, C) / (N, C) for a (B, N, C) input; gamma, beta, bias: (C)
 *   sum = input + skip [+ bias];  output = LayerNorm(sum over the last axis) · gamma [+ beta];  mean, inv_std: (..)
 * MultiHeadAttention(query, key, value), attribute num_heads = H, [scale] (default 1/√D)
 *   query, key, value: (B, N, H·D) -> output (B, N, H·D)
 *   output[b, i, h] = Σ_j softmax_j(scale · q[b,i,h]·k[b,j,h]) · v[b,j,h]   (q[b,i,h] = query[b, i, h·D .. h·D+D))
 * </pre>
 * Only what the placement writes is accepted: MultiHeadAttention without bias, masks, past key/value or packed
 * inputs (anything else is an {@link UnsupportedOpException}).
 */
public final class ContribTransformerOps {
    private ContribTransformerOps() {}

    public static void register() {
        OpRegistry.register("com.microsoft", "SkipLayerNormalization", ContribTransformerOps::skipLayerNorm, (n, in, opset) -> {
            int[] s = in[0].shape();
            ValueType[] out = new ValueType[Math.max(1, n.outputs().size())];
            for (int i = 0; i < out.length; i++) out[i] = floats(i == 0 || i == 3 || s == null ? s : stats(s));
            return out;
        });
        OpRegistry.register("com.microsoft", "MultiHeadAttention", ContribTransformerOps::multiHeadAttention,
                (n, in, opset) -> new ValueType[] {floats(in[0].shape())});
    }

    private static ValueType floats(int[] s) { return s == null ? ValueType.unknown(DType.FLOAT) : ValueType.of(DType.FLOAT, s); }

    private static int[] stats(int[] s) {
        int[] t = s.clone();
        t[t.length - 1] = 1;
        return t;
    }

    private static Tensor[] skipLayerNorm(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(n, in, 0), skip = ConvOps.floatInput(n, in, 1);
        int[] s = x.shape();
        int[] k = skip.shape();
        boolean same = java.util.Arrays.equals(s, k);
        // ORT also takes a skip of (1, N, C) or (N, C) for a (B, N, C) input, the same for every batch item
        boolean perItem = s.length == 3 && (k.length == 3 && k[0] == 1 && k[1] == s[1] && k[2] == s[2] || k.length == 2 && k[0] == s[1] && k[1] == s[2]);
        if (!same && !perItem)
            throw new UnsupportedOpException("SkipLayerNormalization with skip " + Shapes.str(k) + " for input " + Shapes.str(s));
        int c = s[s.length - 1], rows = x.size() / c, period = skip.size();
        float[] a = x.floats(), b = skip.floats(), bias = opt(in, 4), sum = new float[a.length];
        for (int i = 0; i < sum.length; i++) sum[i] = a[i] + b[i % period] + (bias == null ? 0 : bias[i % c]);
        int outs = n.outputs().size();
        float[] y = ctx.floats(sum.length), mean = outs > 1 && !n.output(1).isEmpty() ? new float[rows] : null,
                inv = outs > 2 && !n.output(2).isEmpty() ? new float[rows] : null;
        LayerNormForward.run(sum, in[2].floats(), opt(in, 3), rows, c, n.attrFloat("epsilon", 1e-12f), y, mean, inv, ctx.parallel());
        return new Tensor[] {Tensor.of(y, s), mean == null ? null : Tensor.of(mean, stats(s)), inv == null ? null : Tensor.of(inv, stats(s)),
                outs > 3 ? Tensor.of(sum, s) : null};
    }

    private static float[] opt(Tensor[] in, int i) { return i < in.length && in[i] != null ? in[i].floats() : null; }

    // the three (B, N, H·D) inputs are interleaved into the packed (B, N, 3, H, D) layout AttentionCore reads
    private static Tensor[] multiHeadAttention(Node n, Tensor[] in, ExecContext ctx) {
        for (int i = 3; i < in.length; i++) if (in[i] != null) throw new UnsupportedOpException("MultiHeadAttention with input " + i + " (bias, mask or past)");
        if (in.length < 3 || in[1] == null || in[2] == null) throw new UnsupportedOpException("MultiHeadAttention with packed query/key/value");
        Tensor q = ConvOps.floatInput(n, in, 0), k = ConvOps.floatInput(n, in, 1), v = ConvOps.floatInput(n, in, 2);
        int[] s = q.shape();
        if (s.length != 3 || !java.util.Arrays.equals(s, k.shape()) || !java.util.Arrays.equals(s, v.shape()))
            throw new UnsupportedOpException("MultiHeadAttention on " + Shapes.str(s) + ", " + Shapes.str(k.shape()) + ", " + Shapes.str(v.shape()) + " (only equal (B, N, C))");
        int heads = (int) n.attrInt("num_heads", 0), c = s[2];
        if (heads <= 0 || c % heads != 0) throw new NnzipException(n.describe() + ": num_heads " + heads + " does not divide " + c);
        int d = c / heads, rows = s[0] * s[1];
        float scale = n.attrFloat("scale", (float) (1 / Math.sqrt(d)));
        float[] packed = new float[rows * 3 * c], qf = q.floats(), kf = k.floats(), vf = v.floats();
        for (int r = 0; r < rows; r++) {
            System.arraycopy(qf, r * c, packed, r * 3 * c, c);
            System.arraycopy(kf, r * c, packed, r * 3 * c + c, c);
            System.arraycopy(vf, r * c, packed, r * 3 * c + 2 * c, c);
        }
        float[] y = ctx.floats(rows * c);
        AttentionCore.run(packed, y, s[0], s[1], heads, d, scale, null, ctx.parallel());
        return new Tensor[] {Tensor.of(y, s)};
    }
}
