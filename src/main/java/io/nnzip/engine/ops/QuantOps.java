package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Linear (affine) quantization: QuantizeLinear {@code q = saturate(round_half_even(x / scale) + zp)},
 * DequantizeLinear {@code x = (q - zp) * scale}, per tensor or per axis (scale and zero point of shape (d_axis)),
 * and DynamicQuantizeLinear (uint8 with scale and zero point computed from the data's range).
 */
public final class QuantOps {
    private QuantOps() {}

    public static void register() {
        OpRegistry.register("QuantizeLinear", QuantOps::quantize, (n, in, o) -> {
            DType t = Rules.present(in, 2) ? in[2].dtype() : n.has("output_dtype") ? DType.fromOnnx((int) n.attrInt("output_dtype", 2)) : DType.UINT8;
            return Rules.one(t, in[0].shape());
        });
        OpRegistry.register("DequantizeLinear", QuantOps::dequantize, (n, in, o) -> Rules.one(in[1].dtype(), in[0].shape()));
        OpRegistry.register("DynamicQuantizeLinear", QuantOps::dynamic, (n, in, o) -> new ValueType[] {
            ValueType.of(DType.UINT8, in[0].shape()), ValueType.of(DType.FLOAT), ValueType.of(DType.UINT8)});
        IntMatMulOps.register();
        MatMulNBitsOp.register();
        QAttentionOp.register();
    }

    /** Integer range of a quantized type. */
    static long[] range(DType t) {
        return switch (t) {
            case UINT8 -> new long[] {0, 255};
            case INT8 -> new long[] {-128, 127};
            case UINT16 -> new long[] {0, 65535};
            case INT16 -> new long[] {-32768, 32767};
            case INT32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            default -> throw new UnsupportedOpException("quantization to " + t.lower());
        };
    }

    /**
     * For each element of a tensor of shape {@code s}, which entry of a scale/zero-point of {@code count} values
     * applies: 0 for per-tensor, the coordinate along {@code axis} for per-axis.
     */
    private static int[] channelOf(Node n, int[] s, Tensor scale) {
        int total = Shapes.numel(s);
        int[] ch = new int[total];
        if (scale.size() == 1 && scale.rank() <= 1) return ch;
        if (scale.rank() != 1) throw new UnsupportedOpException(n.opType() + " blocked quantization (scale of shape " + Shapes.str(scale.shape()) + ")");
        int axis = Shapes.axis((int) n.attrInt("axis", 1), s.length, n.describe());
        if (s[axis] != scale.size()) throw new NnzipException(n.opType() + ": " + scale.size() + " scales for axis " + axis + " of size " + s[axis]);
        int inner = Shapes.product(s, axis + 1, s.length), d = s[axis];
        for (int i = 0; i < total; i++) ch[i] = (i / inner) % d;
        return ch;
    }

    // x: float (any shape), scale: () or (d_axis), zp: like scale -> q: zp's type, x's shape
    private static Tensor[] quantize(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0], scale = in[1], zpT = in.length > 2 ? in[2] : null;
        DType t = zpT != null ? zpT.dtype() : n.has("output_dtype") ? DType.fromOnnx((int) n.attrInt("output_dtype", 2)) : DType.UINT8;
        if (n.has("block_size") && n.attrInt("block_size", 0) != 0) throw new UnsupportedOpException("QuantizeLinear block_size");
        long[] lim = range(t);
        int[] ch = channelOf(n, x.shape(), scale);
        double[] v = Values.doubles(x), sc = Values.doubles(scale);
        long[] zp = zpT == null ? new long[sc.length] : Values.longs(zpT), q = new long[v.length];
        boolean f32 = x.dtype() == DType.FLOAT;
        for (int i = 0; i < v.length; i++) {
            int c = ch[i];
            double ratio = v[i] / sc[c];
            // A float32 quotient is rounded to float32 before rounding to an integer, as the reference computes it.
            double r = Math.rint(f32 ? (float) ratio : ratio) + zp[c];
            q[i] = (long) Math.max(lim[0], Math.min(lim[1], Double.isNaN(r) ? 0 : r));
        }
        return new Tensor[] {Values.fromLongs(t, x.shape(), q)};
    }

    // q: int (any shape), scale: () or (d_axis), zp: like scale -> x: scale's type
    private static Tensor[] dequantize(Node n, Tensor[] in, ExecContext ctx) {
        Tensor q = in[0], scale = in[1], zpT = in.length > 2 ? in[2] : null;
        if (q.dtype().isFloating()) throw new UnsupportedOpException("DequantizeLinear from " + q.dtype().lower());
        if (zpT != null && zpT.dtype() != q.dtype()) throw new NnzipException("DequantizeLinear: zero point is " + zpT.dtype().lower() + ", input is " + q.dtype().lower());
        int[] ch = channelOf(n, q.shape(), scale);
        long[] v = Values.longs(q), zp = zpT == null ? new long[scale.size()] : Values.longs(zpT);
        double[] sc = Values.doubles(scale), r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (v[i] - zp[ch[i]]) * sc[ch[i]];
        return new Tensor[] {Values.fromDoubles(scale.dtype(), q.shape(), r)};
    }

    // x: float (any shape) -> y: uint8 (x's shape), scale: float (), zero point: uint8 ()
    private static Tensor[] dynamic(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (x.dtype() != DType.FLOAT) throw new UnsupportedOpException("DynamicQuantizeLinear on " + x.dtype().lower());
        float[] v = x.floats();
        float lo = 0, hi = 0;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        float scale = (hi - lo) / 255f;
        float zpf = scale == 0 ? 0 : (float) Math.rint(Math.max(0, Math.min(255, -lo / scale)));
        long zp = (long) zpf;
        long[] q = new long[v.length];
        for (int i = 0; i < v.length; i++) q[i] = scale == 0 ? zp : (long) Math.max(0, Math.min(255, Math.rint(v[i] / scale) + zp));
        return new Tensor[] {Values.fromLongs(DType.UINT8, x.shape(), q), Tensor.of(new float[] {scale}),
            Values.fromLongs(DType.UINT8, new int[0], new long[] {zp})};
    }
}
