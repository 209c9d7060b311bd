package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Arrays;

/** TopK: the k largest (or smallest) values along an axis with their indices; ties keep the lower index first. */
final class SelectOps {
    private SelectOps() {}

    static void register() {
        OpRegistry.register("TopK", SelectOps::topK, (n, in, o) -> {
            int[] s = in[0].shape();
            long[] k = n.has("k") ? new long[] {n.attrInt("k", 0)} : Rules.constInts(in, 1);
            int[] out = s == null ? null : s.clone();
            if (out != null) out[Shapes.axis((int) n.attrInt("axis", -1), s.length, "TopK")] = k == null ? -1 : (int) k[0];
            return new ValueType[] {ValueType.of(in[0].dtype(), out), ValueType.of(DType.INT64, out)};
        });
    }

    // x: (a.., d, b..), k -> values: (a.., k, b..), indices: int64 (a.., k, b..)
    private static Tensor[] topK(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        int axis = Shapes.axis((int) n.attrInt("axis", -1), s.length, "TopK");
        int k = n.has("k") ? (int) n.attrInt("k", 0) : (int) in[1].getLong(0);
        if (k < 0 || k > s[axis]) throw new NnzipException("TopK: k=" + k + " outside [0, " + s[axis] + "]");
        boolean largest = n.attrInt("largest", 1) == 1;
        int outer = Shapes.product(s, 0, axis), d = s[axis], inner = Shapes.product(s, axis + 1, s.length);
        double[] v = Values.doubles(x);
        int[] out = s.clone();
        out[axis] = k;
        int[] pick = new int[outer * k * inner];
        long[] idx = new long[pick.length];
        Integer[] order = new Integer[d];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * d * inner + i;
                for (int j = 0; j < d; j++) order[j] = j;
                Arrays.sort(order, (p, q) -> {
                    int c = Double.compare(v[base + p * inner], v[base + q * inner]);
                    return c != 0 ? (largest ? -c : c) : Integer.compare(p, q);
                });
                for (int j = 0; j < k; j++) {
                    int at = (o * k + j) * inner + i;
                    pick[at] = base + order[j] * inner;
                    idx[at] = order[j];
                }
            }
        return new Tensor[] {Index.gather(x, out, pick), Tensor.ofLongs(idx, out)};
    }
}
