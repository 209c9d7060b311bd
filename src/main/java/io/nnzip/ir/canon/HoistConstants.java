package io.nnzip.ir.canon;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.List;

/**
 * {@code Constant} nodes become initializers, so every later rule (and every pass) sees one kind of constant.
 * A Constant whose output is a graph output stays a node: its name is the user's.
 */
public final class HoistConstants {
    private HoistConstants() {}

    static int apply(Graph g) {
        int n = 0;
        for (Node c : List.copyOf(g.nodes())) {
            if (!c.opType().equals("Constant") || !c.domain().isEmpty() || g.outputNames().contains(c.output(0))) continue;
            Tensor t = value(c);
            if (t == null || g.isInitializer(c.output(0))) continue;
            g.initializers().put(c.output(0), t);
            g.nodes().remove(c);
            n++;
        }
        return n;
    }

    /** The tensor a Constant holds, whichever of its value attributes carries it (sparse values are left alone). */
    public static Tensor value(Node c) {
        Attribute a;
        if ((a = c.attr("value")) != null && a.type() == Attribute.Type.TENSOR) return (Tensor) a.value();
        if ((a = c.attr("value_float")) != null) return Tensor.of(new float[] {(Float) a.value()});
        if ((a = c.attr("value_floats")) != null) {
            float[] f = (float[]) a.value();
            return Tensor.of(f.clone(), f.length);
        }
        if ((a = c.attr("value_int")) != null) return Tensor.scalarLong((Long) a.value());
        if ((a = c.attr("value_ints")) != null) return Tensor.vector((long[]) a.value());
        return null;
    }
}
