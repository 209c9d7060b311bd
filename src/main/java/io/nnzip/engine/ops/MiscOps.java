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
import io.nnzip.ir.UnsupportedOpException;

/**
 * Dropout, and the small data ops exporters emit around models: Trilu, CumSum, OneHot, EyeLike, Compress,
 * NonZero. Every other op without a family of its own is registered from here: TopK, Resize, signal ops, Det /
 * ReverseSequence / MaxUnpool, Einsum, NonMaxSuppression, Unique, GridSample, StringNormalizer, RNN / GRU / LSTM,
 * TfIdfVectorizer, RoiAlign and the losses.
 */
public final class MiscOps {
    private MiscOps() {}

    public static void register() {
        OpRegistry.register("Dropout", MiscOps::dropout, (n, in, o) -> {
            ValueType[] out = new ValueType[n.outputs().size()];
            out[0] = ValueType.of(in[0].dtype(), in[0].shape());
            if (out.length > 1) out[1] = ValueType.of(o >= 10 ? DType.BOOL : in[0].dtype(), in[0].shape());
            return out;
        });
        OpRegistry.register("Trilu", MiscOps::trilu, Rules.SAME);
        OpRegistry.register("CumSum", MiscOps::cumSum, Rules.SAME);
        OpRegistry.register("OneHot", MiscOps::oneHot, (n, in, o) -> {
            int[] s = in[0].shape();
            long[] depth = Rules.constInts(in, 1);
            if (s == null) return Rules.one(in[2].dtype(), null);
            int axis = (int) n.attrInt("axis", -1), r = s.length + 1;
            axis = axis < 0 ? axis + r : axis;
            int[] out = new int[r];
            for (int i = 0, j = 0; i < r; i++) out[i] = i == axis ? (depth == null ? -1 : (int) depth[0]) : s[j++];
            return Rules.one(in[2].dtype(), out);
        });
        OpRegistry.register("EyeLike", MiscOps::eyeLike, (n, in, o) -> Rules.one(n.has("dtype") ? DType.fromOnnx((int) n.attrInt("dtype", 1)) : in[0].dtype(), in[0].shape()));
        OpRegistry.register("Compress", MiscOps::compress, (n, in, o) -> {
            int[] s = in[0].shape();
            if (s == null) return Rules.one(in[0].dtype(), null);
            if (!n.has("axis")) return Rules.one(in[0].dtype(), new int[] {-1});
            int[] out = s.clone();
            out[Shapes.axis((int) n.attrInt("axis", 0), s.length, "Compress")] = -1;
            return Rules.one(in[0].dtype(), out);
        });
        OpRegistry.register("NonZero", MiscOps::nonZero, (n, in, o) -> Rules.one(DType.INT64, new int[] {in[0].rank(), -1}));
        SelectOps.register();
        ResizeOps.register();
        SignalOps.register();
        ExtraOps.register();
        EinsumOps.register();
        DetectionOps.register();
        UniqueOps.register();
        GridSampleOps.register();
        StringOps.register();
        RecurrentOps.register();
        TfIdfOps.register();
        RoiAlignOps.register();
        LossOps.register();
    }

    // x: any shape -> y: x's shape [, mask: x's shape]
    private static Tensor[] dropout(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        double ratio = ctx.opset() >= 12 ? Index.scalar(in.length > 1 ? in[1] : null, 0.5) : n.attrFloat("ratio", 0.5f);
        boolean train = ctx.opset() >= 12 ? (in.length > 2 && in[2] != null ? in[2].getLong(0) != 0 : ctx.training())
                : ctx.training() && !(ctx.opset() < 7 && n.attrInt("is_test", 0) == 1);
        boolean wantMask = n.outputs().size() > 1 && !n.output(1).isEmpty();
        DType maskType = ctx.opset() >= 10 ? DType.BOOL : x.dtype();
        int size = x.size();
        if (!train || ratio == 0) {
            if (!wantMask) return new Tensor[] {x};
            long[] ones = new long[size];
            java.util.Arrays.fill(ones, 1);
            return new Tensor[] {x, Values.fromLongs(maskType, x.shape(), ones)};
        }
        if (ratio < 0 || ratio >= 1) throw new NnzipException("Dropout: ratio " + ratio + " outside [0, 1)");
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("Dropout training on " + x.dtype().lower());
        double[] v = Values.doubles(x), r = new double[size];
        long[] keep = new long[size];
        double s = 1 / (1 - ratio);
        for (int i = 0; i < size; i++) {
            keep[i] = ctx.random().nextDouble() >= ratio ? 1 : 0;
            r[i] = keep[i] == 1 ? v[i] * s : 0;
        }
        Tensor y = Values.fromDoubles(x.dtype(), x.shape(), r);
        return wantMask ? new Tensor[] {y, Values.fromLongs(maskType, x.shape(), keep)} : new Tensor[] {y};
    }

    // x: (.., N, M), k: () -> same, zeroing below (upper=1) or above (upper=0) diagonal k
    private static Tensor[] trilu(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        if (s.length < 2) throw new NnzipException("Trilu: input must have rank >= 2, got " + Shapes.str(s));
        long k = in.length > 1 && in[1] != null ? in[1].getLong(0) : 0;
        boolean upper = n.attrInt("upper", 1) == 1;
        int rows = s[s.length - 2], cols = s[s.length - 1], size = x.size();
        Object zero = Tensor.allocate(x.dtype(), 1);
        int[] idx = new int[size];
        for (int i = 0; i < size; i++) {
            int c = i % cols, r = (i / cols) % rows;
            boolean keep = upper ? c - r >= k : c - r <= k;
            idx[i] = keep ? i : size;
        }
        return new Tensor[] {new Tensor(x.dtype(), s, Index.take(ElementwiseOps.concat(x.data(), zero), idx))};
    }

    // x: (a.., d, b..), axis: () -> running sums along axis
    private static Tensor[] cumSum(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        int axis = Shapes.axis((int) in[1].getLong(0), s.length, "CumSum");
        boolean exclusive = n.attrInt("exclusive", 0) == 1, reverse = n.attrInt("reverse", 0) == 1;
        int outer = Shapes.product(s, 0, axis), d = s[axis], inner = Shapes.product(s, axis + 1, s.length);
        boolean fl = x.dtype().isFloating();
        double[] dv = fl ? Values.doubles(x) : null, dr = fl ? new double[x.size()] : null;
        long[] lv = fl ? null : Values.longs(x), lr = fl ? null : new long[x.size()];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                double da = 0;
                long la = 0;
                for (int t = 0; t < d; t++) {
                    int k = reverse ? d - 1 - t : t, at = (o * d + k) * inner + i;
                    if (fl) {
                        if (exclusive) { dr[at] = da; da += dv[at]; } else { da += dv[at]; dr[at] = da; }
                    } else {
                        if (exclusive) { lr[at] = la; la += lv[at]; } else { la += lv[at]; lr[at] = la; }
                    }
                }
            }
        return new Tensor[] {fl ? Values.fromDoubles(x.dtype(), s, dr) : Values.fromLongs(x.dtype(), s, lr)};
    }

    // indices: (a..), depth: (), values: (off, on) -> values' type, depth inserted at axis
    private static Tensor[] oneHot(Node n, Tensor[] in, ExecContext ctx) {
        long[] ind = Values.longs(in[0]);
        int depth = (int) in[1].getDouble(0);
        Tensor vals = in[2];
        int[] s = in[0].shape();
        int r = s.length + 1, axis = (int) n.attrInt("axis", -1);
        axis = axis < 0 ? axis + r : axis;
        if (axis < 0 || axis >= r) throw new NnzipException("OneHot: axis " + n.attrInt("axis", -1) + " out of range for rank " + r);
        int[] out = new int[r];
        for (int i = 0, j = 0; i < r; i++) out[i] = i == axis ? depth : s[j++];
        int outer = Shapes.product(s, 0, axis), inner = Shapes.product(s, axis, s.length);
        int[] idx = new int[outer * depth * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < depth; k++)
                for (int i = 0; i < inner; i++) {
                    long v = ind[o * inner + i];
                    if (v < 0) v += depth;
                    idx[(o * depth + k) * inner + i] = v == k ? 1 : 0;
                }
        return new Tensor[] {Index.gather(vals, out, idx)};
    }

    // x: (N, M) -> identity-like (N, M) with ones on diagonal k
    private static Tensor[] eyeLike(Node n, Tensor[] in, ExecContext ctx) {
        int[] s = in[0].shape();
        if (s.length != 2) throw new NnzipException("EyeLike: input must be 2-D, got " + Shapes.str(s));
        DType t = n.has("dtype") ? DType.fromOnnx((int) n.attrInt("dtype", 1)) : in[0].dtype();
        long k = n.attrInt("k", 0);
        long[] v = new long[s[0] * s[1]];
        for (int i = 0; i < s[0]; i++) {
            long j = i + k;
            if (j >= 0 && j < s[1]) v[(int) (i * s[1] + j)] = 1;
        }
        return new Tensor[] {Values.fromLongs(t, s, v)};
    }

    // x: any shape, condition: bool (c) -> x's slices along axis where condition holds (x flattened without axis)
    private static Tensor[] compress(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        byte[] cond = in[1].bytes();
        if (!n.has("axis")) x = x.reshape(x.size());
        int[] s = x.shape();
        int axis = Shapes.axis((int) n.attrInt("axis", 0), s.length, "Compress");
        int outer = Shapes.product(s, 0, axis), d = s[axis], inner = Shapes.product(s, axis + 1, s.length);
        java.util.List<Integer> keep = new java.util.ArrayList<>();
        for (int k = 0; k < Math.min(d, cond.length); k++) if (cond[k] != 0) keep.add(k);
        int[] out = s.clone();
        out[axis] = keep.size();
        int[] idx = new int[outer * keep.size() * inner];
        int p = 0;
        for (int o = 0; o < outer; o++) for (int k : keep) for (int i = 0; i < inner; i++) idx[p++] = (o * d + k) * inner + i;
        return new Tensor[] {Index.gather(x, out, idx)};
    }

    // x: any shape (rank r) -> int64 (r, count of non-zeros), coordinates in row-major order
    private static Tensor[] nonZero(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        int r = s.length;
        java.util.List<Integer> hits = new java.util.ArrayList<>();
        for (int i = 0; i < x.size(); i++) if (x.getDouble(i) != 0) hits.add(i);
        int m = hits.size();
        long[] out = new long[r * m];
        int[] st = Shapes.strides(s);
        for (int j = 0; j < m; j++) {
            int f = hits.get(j);
            for (int d = 0; d < r; d++) out[d * m + j] = (f / st[d]) % s[d];
        }
        return new Tensor[] {Tensor.ofLongs(out, r, m)};
    }
}
