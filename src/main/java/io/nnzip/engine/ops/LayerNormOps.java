package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.LayerNormForward;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.Arrays;

/**
 * LayerNormalization (opset 17): normalizes over dims [axis, rank) and applies Scale and optional B broadcast
 * onto those dims. Optional outputs Mean and InvStdDev have shape x.shape[:axis] + ones. Registered by {@link NormOps}.
 */
final class LayerNormOps {
    private LayerNormOps() {}

    static void register() { OpRegistry.register("LayerNormalization", LayerNormOps::run, LayerNormOps::rule); }

    // x: (a.., b..) with b.. the normalized dims, scale/bias broadcastable to (b..) -> y: x's shape
    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("LayerNormalization on " + x.dtype().lower());
        int[] s = x.shape();
        int axis = Shapes.axis((int) n.attrInt("axis", -1), s.length, "LayerNormalization");
        double eps = n.attrFloat("epsilon", 1e-5f);
        int rows = Shapes.product(s, 0, axis), len = Shapes.product(s, axis, s.length);
        int[] inner = Arrays.copyOfRange(s, axis, s.length);
        if (x.dtype() == DType.FLOAT && in[1].dtype() == DType.FLOAT && statType(n, x) == DType.FLOAT) return runFloat(n, in, ctx, axis, rows, len, inner, (float) eps);
        double[] scale = spread(in[1], inner), bias = in.length > 2 && in[2] != null ? spread(in[2], inner) : null;
        double[] v = Values.doubles(x), r = new double[v.length], mean = new double[rows], inv = new double[rows];
        ctx.parallel().forRange(rows, Math.max(1, 8192 / Math.max(1, len)), (lo, hi) -> {
            for (int row = lo; row < hi; row++) {
                int o = row * len;
                double sum = 0, sq = 0;
                for (int i = 0; i < len; i++) sum += v[o + i];
                double m = sum / len;
                for (int i = 0; i < len; i++) sq += (v[o + i] - m) * (v[o + i] - m);
                double k = 1 / Math.sqrt(sq / len + eps);
                mean[row] = m;
                inv[row] = k;
                for (int i = 0; i < len; i++) r[o + i] = (v[o + i] - m) * k * scale[i] + (bias == null ? 0 : bias[i]);
            }
        });
        int[] statShape = s.clone();
        for (int i = axis; i < s.length; i++) statShape[i] = 1;
        DType st = statType(n, x);
        return new Tensor[] {Values.fromDoubles(x.dtype(), s, r), Values.fromDoubles(st, statShape, mean), Values.fromDoubles(st, statShape, inv)};
    }

    /** The float32 path: scale and bias spread to the normalized dims once, rows on {@link LayerNormForward}. */
    private static Tensor[] runFloat(Node n, Tensor[] in, ExecContext ctx, int axis, int rows, int len, int[] inner, float eps) {
        int[] s = in[0].shape();
        float[] scale = spreadFloats(in[1], inner), bias = in.length > 2 && in[2] != null ? spreadFloats(in[2], inner) : null;
        float[] y = ctx.floats(rows * len), mean = n.outputs().size() > 1 ? new float[rows] : null, inv = n.outputs().size() > 2 ? new float[rows] : null;
        LayerNormForward.run(in[0].floats(), scale, bias, rows, len, eps, y, mean, inv, ctx.parallel());
        int[] statShape = s.clone();
        for (int i = axis; i < s.length; i++) statShape[i] = 1;
        return new Tensor[] {Tensor.of(y, s), mean == null ? null : Tensor.of(mean, statShape), inv == null ? null : Tensor.of(inv, statShape)};
    }

    private static float[] spreadFloats(Tensor p, int[] inner) {
        return p.size() == Shapes.numel(inner) ? p.floats() : Index.gather(p, inner, Index.broadcastMap(p.shape(), inner)).floats();
    }

    /** Statistics are kept in stash_type (float32 by default). */
    private static DType statType(Node n, Tensor x) { return DType.fromOnnx((int) n.attrInt("stash_type", 1)); }

    private static double[] spread(Tensor p, int[] inner) {
        return Values.doubles(Index.gather(p, inner, Index.broadcastMap(p.shape(), inner)));
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        ValueType[] out = new ValueType[Math.max(1, n.outputs().size())];
        int[] s = in[0].shape();
        out[0] = ValueType.of(in[0].dtype(), s);
        DType st = DType.fromOnnx((int) n.attrInt("stash_type", 1));
        for (int i = 1; i < out.length; i++) {
            if (s == null) {
                out[i] = ValueType.unknown(st);
                continue;
            }
            int axis = Shapes.axis((int) n.attrInt("axis", -1), s.length, "LayerNormalization");
            int[] ss = s.clone();
            for (int d = axis; d < s.length; d++) ss[d] = 1;
            out[i] = ValueType.of(st, ss);
        }
        return out;
    }
}
