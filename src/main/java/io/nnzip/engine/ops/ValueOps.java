package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.NumberText;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/** Ops that create values or change their element type: Constant, ConstantOfShape, Range, Cast, CastLike. */
final class ValueOps {
    private ValueOps() {}

    static void register() {
        OpRegistry.register("Constant", (n, in, c) -> new Tensor[] {constant(n)}, (n, in, o) -> Rules.one(constant(n)));
        OpRegistry.register("ConstantOfShape", (n, in, c) -> new Tensor[] {constantOfShape(n, in[0])}, (n, in, o) -> {
            Tensor v = n.attrTensor("value");
            DType t = v == null ? DType.FLOAT : v.dtype();
            long[] s = Rules.constInts(in, 0);
            if (s != null) return Rules.one(t, toShape(s));
            int[] ss = in[0].shape();
            return Rules.one(t, ss != null && ss.length == 1 && ss[0] >= 0 ? Rules.unknownDims(ss[0]) : null);
        });
        OpRegistry.register("Range", (n, in, c) -> new Tensor[] {range(in[0], in[1], in[2])}, (n, in, o) -> Rules.one(in[0].dtype(), new int[] {-1}));
        OpRegistry.register("Cast", (n, in, c) -> new Tensor[] {cast(in[0], target(n))}, (n, in, o) -> Rules.one(target(n), in[0].shape()));
        OpRegistry.register("CastLike", (n, in, c) -> new Tensor[] {cast(in[0], in[1].dtype())}, (n, in, o) -> Rules.one(in[1].dtype(), in[0].shape()));
    }

    private static DType target(Node n) {
        if (!n.has("to")) throw new NnzipException("Cast: attribute 'to' is required");
        return DType.fromOnnx((int) n.attrInt("to", 0));
    }

    private static Tensor constant(Node n) {
        for (Attribute a : n.attributes().values()) {
            switch (a.name()) {
                case "value": return (Tensor) a.value();
                case "value_float": return Tensor.of(new float[] {(Float) a.value()});
                case "value_floats": return Tensor.of(((float[]) a.value()).clone(), ((float[]) a.value()).length);
                case "value_int": return Tensor.ofLongs(new long[] {(Long) a.value()});
                case "value_ints": return Tensor.vector((long[]) a.value());
                case "value_string": return new Tensor(DType.STRING, new int[0], new String[] {(String) a.value()});
                case "value_strings": return new Tensor(DType.STRING, new int[] {((String[]) a.value()).length}, ((String[]) a.value()).clone());
                case "sparse_value": throw new UnsupportedOpException("Constant sparse_value");
                default: break;
            }
        }
        throw new NnzipException("Constant has no value attribute");
    }

    private static int[] toShape(long[] s) {
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) throw new NnzipException("ConstantOfShape: negative dim " + s[i]);
            out[i] = (int) s[i];
        }
        return out;
    }

    private static Tensor constantOfShape(Node n, Tensor shape) {
        Tensor v = n.attrTensor("value");
        int[] s = toShape(shape.toLongs());
        if (v == null) return Tensor.zeros(DType.FLOAT, s);
        if (v.size() != 1) throw new NnzipException("ConstantOfShape: value must hold one element, has " + v.size());
        Object data = Tensor.allocate(v.dtype(), Shapes.numel(s));
        int len = Tensor.length(data);
        for (int i = 0; i < len; i++) System.arraycopy(v.data(), 0, data, i, 1);
        return new Tensor(v.dtype(), s, data);
    }

    // start, limit, delta: scalars -> (max(ceil((limit - start) / delta), 0))
    private static Tensor range(Tensor start, Tensor limit, Tensor delta) {
        DType t = start.dtype();
        if (t.isFloating()) {
            double a = start.getDouble(0), b = limit.getDouble(0), d = delta.getDouble(0);
            if (d == 0) throw new NnzipException("Range: delta is 0");
            int n = (int) Math.max(Math.ceil((b - a) / d), 0);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = a + i * d;
            return Values.fromDoubles(t, new int[] {n}, v);
        }
        long a = start.getLong(0), b = limit.getLong(0), d = delta.getLong(0);
        if (d == 0) throw new NnzipException("Range: delta is 0");
        int n = (int) Math.max((long) Math.ceil((double) (b - a) / d), 0);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = a + i * d;
        return Values.fromLongs(t, new int[] {n}, v);
    }

    /** Element type conversion: floats to integers truncate toward zero, anything non-zero becomes true. */
    static Tensor cast(Tensor x, DType to) {
        DType from = x.dtype();
        if (from == to) return x;
        int[] s = x.shape();
        if (to == DType.STRING) {
            // Half-precision text needs half-precision shortest digits, which NumberText does not produce.
            if (from == DType.FLOAT16 || from == DType.BFLOAT16) throw new UnsupportedOpException("Cast " + from.lower() + " to string");
            String[] out = new String[x.size()];
            boolean single = from == DType.FLOAT;
            for (int i = 0; i < out.length; i++)
                out[i] = from.isFloating() ? NumberText.of(x.getDouble(i), single) : from == DType.BOOL ? (x.getLong(i) != 0 ? "True" : "False")
                        : from == DType.UINT64 ? Long.toUnsignedString(x.getLong(i)) : Long.toString(x.getLong(i));
            return new Tensor(DType.STRING, s, out);
        }
        if (from == DType.STRING) {
            String[] a = x.strings();
            double[] v = new double[a.length];
            for (int i = 0; i < a.length; i++) v[i] = parse(a[i]);
            return Values.fromDoubles(to, s, v);
        }
        if (to == DType.BOOL) {
            byte[] b = new byte[x.size()];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (x.getDouble(i) != 0 ? 1 : 0);
            return new Tensor(DType.BOOL, s, b);
        }
        if (from.isFloating() || to.isFloating()) {
            if (from == DType.FLOAT && to == DType.FLOAT16) {
                float[] f = x.floats();
                short[] h = new short[f.length];
                for (int i = 0; i < f.length; i++) h[i] = Float.floatToFloat16(f[i]);
                return new Tensor(to, s, h);
            }
            if (from == DType.UINT64 && to.isFloating()) return Values.fromDoubles(to, s, Values.doubles(x));
            if (!from.isFloating()) return Values.fromDoubles(to, s, Values.doubles(x));
            if (to.isFloating()) return Values.fromDoubles(to, s, Values.doubles(x));
            double[] d = Values.doubles(x);
            long[] l = new long[d.length];
            for (int i = 0; i < d.length; i++) l[i] = (long) d[i];
            return Values.fromLongs(to, s, l);
        }
        return Values.fromLongs(to, s, Values.longs(x));
    }

    private static double parse(String v) {
        String t = v.trim();
        return switch (t.toLowerCase()) {
            case "nan", "+nan", "-nan" -> Double.NaN;
            case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw new NnzipException("Cast: '" + v + "' is not a number");
                }
            }
        };
    }

}
