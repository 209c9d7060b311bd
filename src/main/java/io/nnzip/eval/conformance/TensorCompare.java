package io.nnzip.eval.conformance;

import io.nnzip.ir.DType;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Arrays;

/**
 * Compares a computed tensor to a reference: same dtype and shape, floating values within
 * {@code |got - want| <= atol + rtol * |want|} with NaN matching NaN, everything else exactly.
 */
public final class TensorCompare {
    private TensorCompare() {}

    /** Null when {@code got} matches {@code want}; otherwise a one-line description of the first mismatch. */
    public static String mismatch(Tensor want, Tensor got, double rtol, double atol) {
        if (got == null) return "no value";
        if (want.dtype() != got.dtype()) return "dtype " + got.dtype().lower() + ", expected " + want.dtype().lower();
        if (!Arrays.equals(want.shape(), got.shape())) return "shape " + Shapes.str(got.shape()) + ", expected " + Shapes.str(want.shape());
        int n = want.size();
        DType t = want.dtype();
        if (t == DType.STRING) {
            String[] a = want.strings(), b = got.strings();
            for (int i = 0; i < n; i++) if (!a[i].equals(b[i])) return "index " + i + ": got '" + b[i] + "', expected '" + a[i] + "'";
            return null;
        }
        if (t.isFloating()) {
            for (int i = 0; i < n; i++) {
                double w = want.getDouble(i), g = got.getDouble(i);
                if (Double.isNaN(w) || Double.isNaN(g)) {
                    if (Double.isNaN(w) != Double.isNaN(g)) return at(i, want, g, w);
                    continue;
                }
                if (w == g) continue;
                if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return at(i, want, g, w);
            }
            return null;
        }
        for (int i = 0; i < n; i++) if (want.getLong(i) != got.getLong(i)) return at(i, want, got.getLong(i), want.getLong(i));
        return null;
    }

    private static String at(int i, Tensor t, Object got, Object want) {
        return "index " + i + " " + coords(i, t.shape()) + ": got " + got + ", expected " + want;
    }

    static String coords(int flat, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) break;
            c[d] = flat % shape[d];
            flat /= shape[d];
        }
        return Arrays.toString(c);
    }
}
