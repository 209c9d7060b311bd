package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Unique: the distinct elements (or slices along {@code axis}) in ascending order (sorted=1) or in order of first
 * appearance, with first-occurrence indices, inverse indices and counts.
 */
final class UniqueOps {
    private UniqueOps() {}

    static void register() {
        OpRegistry.register("Unique", UniqueOps::unique, (n, in, o) -> {
            int[] s = in[0].shape();
            int[] y = !n.has("axis") || s == null ? new int[] {-1} : s.clone();
            if (n.has("axis") && s != null) y[Shapes.axis((int) n.attrInt("axis", 0), s.length, "Unique")] = -1;
            int total = in[0].isConcrete() && n.has("axis") ? in[0].shape()[Shapes.axis((int) n.attrInt("axis", 0), s.length, "Unique")] : in[0].numel();
            return new ValueType[] {ValueType.of(in[0].dtype(), y), ValueType.of(DType.INT64, -1),
                ValueType.of(DType.INT64, total), ValueType.of(DType.INT64, -1)};
        });
    }

    /** One slice's values, compared lexicographically. */
    private record Key(double[] v) implements Comparable<Key> {
        @Override public boolean equals(Object o) { return o instanceof Key k && Arrays.equals(v, k.v); }
        @Override public int hashCode() { return Arrays.hashCode(v); }
        @Override public int compareTo(Key k) { return Arrays.compare(v, k.v); }
    }

    // x: (a.., d, b..) -> y: (a.., u, b..), indices: (u), inverse: (d), counts: (u)
    private static Tensor[] unique(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (x.dtype() == DType.STRING) throw new UnsupportedOpException("Unique on string");
        boolean hasAxis = n.has("axis");
        if (!hasAxis) x = x.reshape(x.size());
        int[] s = x.shape();
        int axis = hasAxis ? Shapes.axis((int) n.attrInt("axis", 0), s.length, "Unique") : 0;
        int outer = Shapes.product(s, 0, axis), d = s[axis], inner = Shapes.product(s, axis + 1, s.length);
        Key[] keys = new Key[d];
        for (int k = 0; k < d; k++) {
            double[] v = new double[outer * inner];
            for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) v[o * inner + i] = x.getDouble((o * d + k) * inner + i);
            keys[k] = new Key(v);
        }
        Map<Key, Integer> first = new HashMap<>();
        List<Key> order = new ArrayList<>();
        for (int k = 0; k < d; k++) if (first.putIfAbsent(keys[k], k) == null) order.add(keys[k]);
        if (n.attrInt("sorted", 1) == 1) order.sort(null);
        Map<Key, Integer> pos = new HashMap<>();
        for (int u = 0; u < order.size(); u++) pos.put(order.get(u), u);
        int U = order.size();
        long[] idx = new long[U], inv = new long[d], cnt = new long[U];
        for (int u = 0; u < U; u++) idx[u] = first.get(order.get(u));
        for (int k = 0; k < d; k++) {
            inv[k] = pos.get(keys[k]);
            cnt[(int) inv[k]]++;
        }
        int[] ys = s.clone();
        ys[axis] = U;
        int[] pick = new int[outer * U * inner];
        for (int o = 0; o < outer; o++) for (int u = 0; u < U; u++) for (int i = 0; i < inner; i++) pick[(o * U + u) * inner + i] = (int) ((o * d + idx[u]) * inner + i);
        return new Tensor[] {Index.gather(x, ys, pick), Tensor.ofLongs(idx, U), Tensor.ofLongs(inv, d), Tensor.ofLongs(cnt, U)};
    }
}
