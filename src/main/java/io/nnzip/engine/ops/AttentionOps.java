package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.AttentionCore;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/**
 * AttentionCore, an engine-private op (never written to a file) that {@link io.nnzip.engine.TransformerFusion} puts
 * in place of the exporter's multi-head attention between the qkv projection and the head merge. Inputs: qkv, the
 * 5-D Reshape target that split it into (B, N, 3, H, D) (usually computed from the batch size at run time),
 * optionally a boolean (N, N) mask (false → −∞; may be empty), and optionally scores to add before the softmax,
 * broadcastable to (B, H, N, N) (an attention mask written additively). Attribute {@link #SCALE}. Output
 * (B, N, H, D), the layout of the exporter's Transpose (0, 2, 1, 3) after a·v. Runs on {@link AttentionCore}.
 */
public final class AttentionOps {
    public static final String OP = "AttentionCore";
    /** FLOAT: factor on q·kᵀ before the softmax. */
    public static final String SCALE = "nnzip_scale";

    private AttentionOps() {}

    public static void register() {
        OpRegistry.register(OP, AttentionOps::run, (n, in, opset) -> {
            long[] spec = io.nnzip.engine.ops.support.Rules.constInts(in, 1);
            if (spec == null || !in[0].isConcrete()) return new ValueType[] {ValueType.of(DType.FLOAT, -1, -1, -1, -1)};
            int[] t = ShapeOps.reshape(n, in[0].shape(), spec);
            return new ValueType[] {ValueType.of(DType.FLOAT, t[0], t[1], t[3], t[4])};
        });
    }

    // qkv: (B, N, 3·H·D) or any shape holding that; shape: Reshape target -> y: (B, N, H, D)
    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        int[] t = dims(n, in);
        float[] y = ctx.floats(t[0] * t[1] * t[2] * t[3]);
        forward(n, in, y, null, ctx.parallel());
        return new Tensor[] {Tensor.of(y, t)};
    }

    /** {B, N, H, D} of the node's inputs (checked). */
    public static int[] dims(Node n, Tensor[] in) {
        Tensor x = ConvOps.floatInput(n, in, 0);
        int[] t = ShapeOps.reshape(n, x.shape(), in[1].toLongs());
        if (t.length != 5 || t[2] != 3) throw new NnzipException(n.describe() + ": qkv must split to (B, N, 3, H, D), got " + Shapes.str(t));
        return new int[] {t[0], t[1], t[3], t[4]};
    }

    /** Runs the node into y (B·N·H·D floats), and the softmax rows into probs (B·H·N·N floats) unless null. */
    public static void forward(Node n, Tensor[] in, float[] y, float[] probs, io.nnzip.engine.Parallel par) {
        int[] t = dims(n, in);
        int b = t[0], len = t[1], heads = t[2], d = t[3];
        boolean[] keep = null;
        if (in.length > 2 && in[2] != null) {
            Tensor m = in[2];
            if (m.size() != len * len) throw new NnzipException(n.describe() + ": mask " + Shapes.str(m.shape()) + " is not (" + len + ", " + len + ")");
            keep = new boolean[len * len];
            for (int i = 0; i < keep.length; i++) keep[i] = m.getDouble(i) != 0;
        }
        AttentionCore.run(in[0].floats(), y, b, len, heads, d, n.attrFloat(SCALE, 1f), keep, in.length > 3 && in[3] != null ? additive(n, in[3], t) : null, probs, par);
    }

    /** The strides of {@code a} broadcast to (B, H, N, N), from t = {B, N, H, D}; each of its dims 1 or that size. */
    private static AttentionCore.Additive additive(Node n, Tensor a, int[] t) {
        int[] want = {t[0], t[2], t[1], t[1]}, s = a.shape();
        if (s.length > 4 || s.length == 0 || s[s.length - 1] != want[3])
            throw new NnzipException(n.describe() + ": added scores " + Shapes.str(s) + " do not broadcast to " + Shapes.str(want));
        int[] stride = new int[3];
        int step = want[3];
        for (int k = 2; k >= 0; k--) {
            int at = k - (4 - s.length), dim = at < 0 ? 1 : s[at];
            if (dim != 1 && dim != want[k]) throw new NnzipException(n.describe() + ": added scores " + Shapes.str(s) + " do not broadcast to " + Shapes.str(want));
            stride[k] = dim == 1 ? 0 : step;
            step *= dim;
        }
        return new AttentionCore.Additive(ConvOps.floatInput(n, new Tensor[] {a}, 0).floats(), stride[0], stride[1], stride[2]);
    }
}
