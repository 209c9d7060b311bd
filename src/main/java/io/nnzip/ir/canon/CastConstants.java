package io.nnzip.ir.canon;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;

/**
 * A {@code Cast} of an initializer (float16 weights stored and widened at load, int32 shape pieces) becomes an
 * initializer of the target type, whatever its size; the static folder only takes small tensors.
 */
final class CastConstants {
    private CastConstants() {}

    static int apply(Graph g) {
        int n = 0;
        for (Node c : List.copyOf(g.nodes())) {
            if (!c.opType().equals("Cast") || !c.domain().isEmpty() || !g.isInitializer(c.input(0)) || g.outputNames().contains(c.output(0))) continue;
            Tensor t = cast(g.initializer(c.input(0)), DType.fromOnnx((int) c.attrInt("to", 1)));
            if (t == null) continue;
            g.initializers().put(c.output(0), t);
            g.nodes().remove(c);
            n++;
        }
        return n;
    }

    /** The tensor converted as ONNX's Cast does for the common numeric types; null for others (left as a node). */
    static Tensor cast(Tensor t, DType to) {
        if (t.dtype() == DType.STRING) return null;
        int size = t.size();
        Object data = switch (to) {
            case FLOAT -> t.dtype() == DType.FLOAT ? t.floats().clone() : t.toFloats();
            case DOUBLE -> {
                double[] d = new double[size];
                for (int i = 0; i < size; i++) d[i] = t.getDouble(i);
                yield d;
            }
            case INT64 -> {
                long[] l = new long[size];
                for (int i = 0; i < size; i++) l[i] = t.getLong(i);
                yield l;
            }
            case INT32 -> {
                int[] l = new int[size];
                for (int i = 0; i < size; i++) l[i] = (int) t.getLong(i);
                yield l;
            }
            default -> null;
        };
        return data == null ? null : new Tensor(to, t.shape(), data);
    }
}
