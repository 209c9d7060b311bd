package io.nnzip.engine.ops.support;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * The any-dtype paths of elementwise ops: floating types compute in double, integer and bool types in long, then
 * results are stored back to the output type. Correct for every type, not tuned; float32 has its own fast paths.
 */
public final class Generic {
    private Generic() {}

    /** Broadcast binary op; the result has type {@code outType} (the operands' type when null). */
    public static Tensor binary(String op, Tensor a, Tensor b, DType outType, DoubleBinaryOperator dop, LongBinaryOperator lop) {
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        int[] ia = Index.broadcastMap(a.shape(), out), ib = Index.broadcastMap(b.shape(), out);
        DType t = outType == null ? a.dtype() : outType;
        int n = ia.length;
        if (a.dtype().isFloating() || b.dtype().isFloating()) {
            if (dop == null) throw new UnsupportedOpException(op + " on " + a.dtype().lower());
            double[] x = Values.doubles(a), y = Values.doubles(b), r = new double[n];
            for (int i = 0; i < n; i++) r[i] = dop.applyAsDouble(x[ia[i]], y[ib[i]]);
            return Values.fromDoubles(t, out, r);
        }
        if (a.dtype() == DType.STRING || lop == null) throw new UnsupportedOpException(op + " on " + a.dtype().lower());
        long[] x = Values.longs(a), y = Values.longs(b), r = new long[n];
        for (int i = 0; i < n; i++) r[i] = lop.applyAsLong(x[ia[i]], y[ib[i]]);
        return Values.fromLongs(t, out, r);
    }

    public static Tensor unary(String op, Tensor a, DoubleUnaryOperator dop, LongUnaryOperator lop) {
        int n = a.size();
        if (a.dtype().isFloating()) {
            if (dop == null) throw new UnsupportedOpException(op + " on " + a.dtype().lower());
            double[] x = Values.doubles(a), r = new double[n];
            for (int i = 0; i < n; i++) r[i] = dop.applyAsDouble(x[i]);
            return Values.fromDoubles(a.dtype(), a.shape(), r);
        }
        if (a.dtype() == DType.STRING || lop == null) throw new UnsupportedOpException(op + " on " + a.dtype().lower());
        long[] x = Values.longs(a), r = new long[n];
        for (int i = 0; i < n; i++) r[i] = lop.applyAsLong(x[i]);
        return Values.fromLongs(a.dtype(), a.shape(), r);
    }

    /** Operands of a binary op must share a type. */
    public static void sameType(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype())
            throw new NnzipException(op + " operands have different types: " + a.dtype().lower() + " and " + b.dtype().lower());
    }

    /** Float-typed variant of an elementwise map that only makes sense on floating types. */
    public static Tensor floatOnly(String op, Tensor a, DoubleUnaryOperator dop) { return unary(op, a, dop, null); }
}
