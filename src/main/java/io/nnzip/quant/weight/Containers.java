package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Small builders for the ONNX subgraphs that turn stored integers back into float weights. */
final class Containers {
    private Containers() {}

    static String init(Graph g, String name, Tensor t) {
        String n = g.freshName(name);
        g.initializers().put(n, t);
        return n;
    }

    static String node(Graph g, String op, String base, List<String> inputs, Attribute... attrs) {
        String out = g.freshName(base);
        Node n = new Node(g.freshName(base + "_" + op), op, inputs, List.of(out));
        for (Attribute a : attrs) n.set(a);
        g.nodes().add(n);
        return out;
    }

    /** Integer values as a tensor of {@code type} (int4/uint4 keep one element per byte in memory). */
    static Tensor ints(DType type, int[] shape, int[] v) {
        Tensor t = Tensor.zeros(type, shape);
        byte[] b = t.bytes();
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return t;
    }

    static String reshape(Graph g, String x, int[] shape, String base) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        String sh = init(g, base + "_shape", Tensor.vector(s));
        return node(g, "Reshape", base + "_reshaped", new ArrayList<>(List.of(x, sh)));
    }

    static int[] shape2d(int[] shape, int outAxis) {
        int rows = shape[outAxis], n = 1;
        for (int d : shape) n *= d;
        return new int[] {rows, n / rows};
    }
}
