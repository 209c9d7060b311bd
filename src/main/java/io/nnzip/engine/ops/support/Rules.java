package io.nnzip.engine.ops.support;

import io.nnzip.engine.ShapeRule;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/** Building blocks of shape rules: unknown dims are -1 and an unknown rank is a null shape, as in {@link ValueType}. */
public final class Rules {
    private Rules() {}

    /** Output 0 has input 0's type and shape. */
    public static final ShapeRule SAME = (n, in, opset) -> new ValueType[] {ValueType.of(in[0].dtype(), in[0].shape())};

    /** Output 0 has input 0's shape and the given type. */
    public static ShapeRule sameShape(DType t) { return (n, in, opset) -> new ValueType[] {new ValueType(t, in[0].shape(), null)}; }

    /** Numpy broadcast of all present inputs; the type of input {@code typeFrom} (or {@code fixed} when non-null). */
    public static ShapeRule broadcast(int typeFrom, DType fixed) {
        return (n, in, opset) -> new ValueType[] {new ValueType(fixed != null ? fixed : in[typeFrom].dtype(), broadcastShapes(n, in), null)};
    }

    public static int[] broadcastShapes(Node n, ValueType... in) {
        int rank = 0;
        for (ValueType v : in) {
            if (v == null) continue;
            if (v.shape() == null) return null;
            rank = Math.max(rank, v.rank());
        }
        int[] out = new int[rank];
        java.util.Arrays.fill(out, 1);
        for (ValueType v : in) {
            if (v == null) continue;
            int[] s = v.shape();
            for (int i = 0; i < s.length; i++) {
                int o = i + rank - s.length, d = s[i], cur = out[o];
                if (d == 1) continue;
                if (cur == 1) out[o] = d;
                else if (d == -1) continue;
                else if (cur == -1) out[o] = d;
                else if (cur != d) throw new NnzipException(n.describe() + ": shapes " + shapesOf(in) + " do not broadcast");
            }
        }
        return out;
    }

    static String shapesOf(ValueType[] in) {
        StringBuilder b = new StringBuilder();
        for (ValueType v : in) {
            if (v == null) continue;
            if (!b.isEmpty()) b.append(" and ");
            b.append(v.shape() == null ? "[?]" : Shapes.str(v.shape()));
        }
        return b.toString();
    }

    /** The constant integer values of input {@code i}, or null when absent or not constant. */
    public static long[] constInts(ValueType[] in, int i) {
        if (i >= in.length || in[i] == null || !in[i].isConstant()) return null;
        return in[i].constant().toLongs();
    }

    public static boolean present(ValueType[] in, int i) { return i < in.length && in[i] != null; }

    /** A shape of {@code rank} unknown dims, or null when the rank is unknown too. */
    public static int[] unknownDims(int rank) {
        if (rank < 0) return null;
        int[] s = new int[rank];
        java.util.Arrays.fill(s, -1);
        return s;
    }

    public static ValueType[] one(DType t, int[] shape) { return new ValueType[] {new ValueType(t, shape, null)}; }

    public static ValueType[] one(Tensor c) { return new ValueType[] {ValueType.constant(c)}; }
}
