package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Axes;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that only change a tensor's shape (the data is shared, not copied): Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity, and the shape readers Shape and Size. This family also registers the data-moving layout ops
 * ({@link LayoutOps}), the indexing ops ({@link GatherOps}) and value creation and conversion ({@link ValueOps}).
 */
public final class ShapeOps {
    private ShapeOps() {}

    public static void register() {
        OpRegistry.register("Reshape", (n, in, c) -> new Tensor[] {in[0].reshape(reshape(n, in[0].shape(), in[1].toLongs()))}, ShapeOps::reshapeRule);
        OpRegistry.register("Flatten", (n, in, c) -> new Tensor[] {in[0].reshape(flatten(n, in[0].shape()))},
                (n, in, o) -> Rules.one(in[0].dtype(), in[0].shape() == null ? Rules.unknownDims(2) : flattenKnown(n, in[0].shape())));
        OpRegistry.register("Squeeze", (n, in, c) -> new Tensor[] {in[0].reshape(squeeze(n, in[0].shape(), Axes.of(n, in, "axes", 1)))}, ShapeOps::squeezeRule);
        OpRegistry.register("Unsqueeze", (n, in, c) -> new Tensor[] {in[0].reshape(unsqueeze(n, in[0].shape(), Axes.of(n, in, "axes", 1)))}, ShapeOps::unsqueezeRule);
        OpRegistry.register("Identity", (n, in, c) -> new Tensor[] {in[0]}, Rules.SAME);
        OpRegistry.register("Shape", (n, in, c) -> new Tensor[] {shape(n, in[0].shape())}, (n, in, o) -> {
            if (in[0].isConcrete()) return Rules.one(shape(n, in[0].shape()));
            if (in[0].shape() == null) return Rules.one(DType.INT64, Rules.unknownDims(1));
            int[] range = shapeRange(n, in[0].rank());
            return Rules.one(DType.INT64, new int[] {range[1] - range[0]});
        });
        OpRegistry.register("Size", (n, in, c) -> new Tensor[] {Tensor.ofLongs(new long[] {in[0].size()})},
                (n, in, o) -> in[0].isConcrete() ? Rules.one(Tensor.ofLongs(new long[] {in[0].numel()})) : Rules.one(DType.INT64, new int[0]));
        LayoutOps.register();
        GatherOps.register();
        ValueOps.register();
    }

    /** Reshape's target: 0 copies the input dim (unless allowzero=1), one -1 takes what is left. */
    static int[] reshape(Node n, int[] in, long[] spec) {
        boolean allowZero = n.attrInt("allowzero", 0) == 1;
        int[] out = new int[spec.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < spec.length; i++) {
            long d = spec[i];
            if (d == -1) {
                if (infer >= 0) throw new NnzipException("Reshape: more than one -1 in shape " + Arrays.toString(spec));
                infer = i;
                continue;
            }
            if (d == 0 && !allowZero) {
                if (i >= in.length) throw new NnzipException("Reshape: 0 at position " + i + " but input has rank " + in.length);
                d = in[i];
            }
            if (d < 0) throw new NnzipException("Reshape: invalid dim " + d + " in shape " + Arrays.toString(spec));
            out[i] = (int) d;
            known *= d;
        }
        int total = Shapes.numel(in);
        if (infer >= 0) {
            if (known == 0 || total % known != 0)
                throw new NnzipException("Reshape: cannot reshape " + Shapes.str(in) + " to " + Arrays.toString(spec));
            out[infer] = (int) (total / known);
        } else if (known != total) {
            throw new NnzipException("Reshape: cannot reshape " + Shapes.str(in) + " (" + total + " elements) to " + Arrays.toString(spec));
        }
        return out;
    }

    private static ValueType[] reshapeRule(Node n, ValueType[] in, int opset) {
        long[] spec = Rules.constInts(in, 1);
        if (spec == null) {
            int[] ss = in[1].shape();
            return Rules.one(in[0].dtype(), ss == null || ss.length != 1 || ss[0] < 0 ? null : Rules.unknownDims(ss[0]));
        }
        if (in[0].isConcrete()) return Rules.one(in[0].dtype(), reshape(n, in[0].shape(), spec));
        int[] out = new int[spec.length];
        boolean allowZero = n.attrInt("allowzero", 0) == 1;
        for (int i = 0; i < spec.length; i++) {
            long d = spec[i];
            out[i] = d == -1 ? -1 : d == 0 && !allowZero ? (in[0].shape() != null && i < in[0].rank() ? in[0].shape()[i] : -1) : (int) d;
        }
        return Rules.one(in[0].dtype(), out);
    }

    static int[] flatten(Node n, int[] s) {
        int axis = (int) n.attrInt("axis", 1);
        if (axis < 0) axis += s.length;
        if (axis < 0 || axis > s.length) throw new NnzipException("Flatten: axis " + n.attrInt("axis", 1) + " out of range for rank " + s.length);
        return new int[] {Shapes.product(s, 0, axis), Shapes.product(s, axis, s.length)};
    }

    private static int[] flattenKnown(Node n, int[] s) {
        int axis = (int) n.attrInt("axis", 1);
        if (axis < 0) axis += s.length;
        return new int[] {prodOrUnknown(s, 0, axis), prodOrUnknown(s, axis, s.length)};
    }

    static int prodOrUnknown(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            if (s[i] < 0) return -1;
            p *= s[i];
        }
        return p;
    }

    static int[] squeeze(Node n, int[] s, long[] axes) {
        List<Integer> out = new ArrayList<>();
        if (axes == null) {
            for (int d : s) if (d != 1) out.add(d);
        } else {
            boolean[] drop = Axes.mask(Axes.normalize(n, axes, s.length), s.length);
            for (int i = 0; i < s.length; i++) {
                if (drop[i] && s[i] != 1) throw new NnzipException("Squeeze: dim " + i + " of " + Shapes.str(s) + " is not 1");
                if (!drop[i]) out.add(s[i]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static ValueType[] squeezeRule(Node n, ValueType[] in, int opset) {
        long[] axes = n.attrInts("axes", null);
        if (axes == null && Rules.present(in, 1)) {
            axes = Rules.constInts(in, 1);
            if (axes == null) return Rules.one(in[0].dtype(), null);
        }
        int[] s = in[0].shape();
        if (s == null) return Rules.one(in[0].dtype(), null);
        if (axes == null) {
            for (int d : s) if (d < 0) return Rules.one(in[0].dtype(), null);
        }
        int[] probe = s.clone();
        if (axes != null) for (int a : Axes.normalize(n, axes, s.length)) probe[a] = 1;
        return Rules.one(in[0].dtype(), squeeze(n, probe, axes));
    }

    static int[] unsqueeze(Node n, int[] s, long[] axes) {
        if (axes == null) throw new NnzipException("Unsqueeze: no axes given");
        int r = s.length + axes.length;
        boolean[] add = Axes.mask(Axes.normalize(n, axes, r), r);
        int[] out = new int[r];
        for (int i = 0, j = 0; i < r; i++) out[i] = add[i] ? 1 : s[j++];
        return out;
    }

    private static ValueType[] unsqueezeRule(Node n, ValueType[] in, int opset) {
        long[] axes = n.attrInts("axes", null);
        if (axes == null) axes = Rules.constInts(in, 1);
        if (axes == null || in[0].shape() == null) return Rules.one(in[0].dtype(), null);
        return Rules.one(in[0].dtype(), unsqueeze(n, in[0].shape(), axes));
    }

    /** [start, end) of the dims Shape returns (opset 15 start/end attributes, clamped). */
    private static int[] shapeRange(Node n, int r) {
        long st = n.attrInt("start", 0), en = n.attrInt("end", r);
        if (st < 0) st += r;
        if (en < 0) en += r;
        st = Math.max(0, Math.min(r, st));
        en = Math.max(st, Math.min(r, en));
        return new int[] {(int) st, (int) en};
    }

    private static Tensor shape(Node n, int[] s) {
        int[] range = shapeRange(n, s.length);
        long[] v = new long[range[1] - range[0]];
        for (int i = 0; i < v.length; i++) v[i] = s[range[0] + i];
        return Tensor.vector(v);
    }

    /** Expands a tensor to a broadcast shape by copying (any dtype). */
    static Tensor expandTo(Tensor x, int[] out) { return Index.gather(x, out, Index.broadcastMap(x.shape(), out)); }

}
