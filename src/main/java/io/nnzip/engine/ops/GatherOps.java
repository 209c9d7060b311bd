package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Generic;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Indexing ops for any element type: Gather, GatherElements, GatherND, and their writing counterparts
 * ScatterElements (and the deprecated Scatter) and ScatterND. Indices may be negative (counted from the end).
 * Registered by {@link ShapeOps}.
 */
final class GatherOps {
    private GatherOps() {}

    static void register() {
        OpRegistry.register("Gather", GatherOps::gather, (n, in, o) -> {
            int[] s = in[0].shape(), is = in[1].shape();
            if (s == null || is == null) return Rules.one(in[0].dtype(), null);
            int axis = Shapes.axis((int) n.attrInt("axis", 0), s.length, "Gather");
            int[] out = new int[s.length - 1 + is.length];
            System.arraycopy(s, 0, out, 0, axis);
            System.arraycopy(is, 0, out, axis, is.length);
            System.arraycopy(s, axis + 1, out, axis + is.length, s.length - axis - 1);
            return Rules.one(in[0].dtype(), out);
        });
        OpRegistry.register("GatherElements", GatherOps::gatherElements, (n, in, o) -> Rules.one(in[0].dtype(), in[1].shape()));
        OpRegistry.register("GatherND", GatherOps::gatherND, GatherOps::gatherNDRule);
        OpRegistry.register("ScatterElements", GatherOps::scatterElements, Rules.SAME);
        OpRegistry.register("Scatter", GatherOps::scatterElements, Rules.SAME);
        OpRegistry.register("ScatterND", GatherOps::scatterND, Rules.SAME);
    }

    private static int index(long i, int dim, String op) {
        long v = i < 0 ? i + dim : i;
        if (v < 0 || v >= dim) throw new NnzipException(op + ": index " + i + " out of range for dim " + dim);
        return (int) v;
    }

    // x: (a.., d, b..), indices: (k..) -> (a.., k.., b..)
    private static Tensor[] gather(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        long[] ind = in[1].toLongs();
        int[] s = x.shape(), is = in[1].shape();
        int axis = Shapes.axis((int) n.attrInt("axis", 0), s.length, "Gather");
        int outer = Shapes.product(s, 0, axis), inner = Shapes.product(s, axis + 1, s.length), d = s[axis];
        int[] out = new int[s.length - 1 + is.length];
        System.arraycopy(s, 0, out, 0, axis);
        System.arraycopy(is, 0, out, axis, is.length);
        System.arraycopy(s, axis + 1, out, axis + is.length, s.length - axis - 1);
        int[] idx = new int[outer * ind.length * inner];
        int p = 0;
        for (int o = 0; o < outer; o++)
            for (long k : ind) {
                int base = (o * d + index(k, d, "Gather")) * inner;
                for (int i = 0; i < inner; i++) idx[p++] = base + i;
            }
        return new Tensor[] {Index.gather(x, out, idx)};
    }

    /** Flat position in {@code x} for each element of {@code indices}: its own coordinate with the axis one replaced. */
    private static int[] elementTargets(String op, int[] s, Tensor indices, int axis) {
        int[] is = indices.shape();
        if (is.length != s.length) throw new NnzipException(op + ": indices rank " + is.length + " differs from data rank " + s.length);
        long[] ind = indices.toLongs();
        int[] st = Shapes.strides(s);
        int[] coordBase = Index.strided(is, zeroAt(st, axis), 0);
        int[] out = new int[ind.length];
        for (int i = 0; i < ind.length; i++) {
            int c = index(ind[i], s[axis], op);
            out[i] = coordBase[i] + c * st[axis];
        }
        return out;
    }

    private static int[] zeroAt(int[] st, int axis) {
        int[] r = st.clone();
        r[axis] = 0;
        return r;
    }

    private static Tensor[] gatherElements(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int axis = Shapes.axis((int) n.attrInt("axis", 0), x.rank(), "GatherElements");
        return new Tensor[] {Index.gather(x, in[1].shape(), elementTargets("GatherElements", x.shape(), in[1], axis))};
    }

    private static Tensor[] scatterElements(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0], upd = in[2];
        int axis = Shapes.axis((int) n.attrInt("axis", 0), x.rank(), n.opType());
        int[] targets = elementTargets(n.opType(), x.shape(), in[1], axis);
        return new Tensor[] {write(n, x, targets, upd, 1)};
    }

    /** Copies {@code x} and writes (or reduces) {@code upd}'s blocks of {@code block} elements at {@code targets}. */
    private static Tensor write(Node n, Tensor x, int[] targets, Tensor upd, int block) {
        String red = n.attrString("reduction", "none");
        Generic.sameType(n.opType(), x, upd);
        if (red.equals("none")) {
            Object dst = Tensor.copyOf(x.data());
            for (int i = 0; i < targets.length; i++) System.arraycopy(upd.data(), i * block, dst, targets[i], block);
            return new Tensor(x.dtype(), x.shape(), dst);
        }
        if (x.dtype().isFloating()) {
            double[] d = Values.doubles(x).clone(), u = Values.doubles(upd);
            for (int i = 0; i < targets.length; i++) for (int j = 0; j < block; j++) d[targets[i] + j] = reduce(red, d[targets[i] + j], u[i * block + j]);
            return Values.fromDoubles(x.dtype(), x.shape(), d);
        }
        long[] d = Values.longs(x).clone(), u = Values.longs(upd);
        for (int i = 0; i < targets.length; i++) for (int j = 0; j < block; j++) d[targets[i] + j] = (long) reduce(red, d[targets[i] + j], u[i * block + j]);
        return Values.fromLongs(x.dtype(), x.shape(), d);
    }

    private static double reduce(String red, double a, double b) {
        return switch (red) {
            case "add" -> a + b;
            case "mul" -> a * b;
            case "max" -> Math.max(a, b);
            case "min" -> Math.min(a, b);
            default -> throw new UnsupportedOpException("scatter reduction=" + red);
        };
    }

    /** For GatherND/ScatterND: flat offsets of the addressed slices and the slice size. */
    private static int[][] ndTargets(String op, int[] s, Tensor indices, int batchDims) {
        int[] is = indices.shape();
        int q = is.length, k = is[q - 1];
        if (k > s.length - batchDims) throw new NnzipException(op + ": index depth " + k + " too large for data " + Shapes.str(s));
        int[] st = Shapes.strides(s);
        int batch = Shapes.product(is, 0, batchDims), perBatch = Shapes.product(is, batchDims, q - 1);
        int slice = Shapes.product(s, batchDims + k, s.length), batchStride = batchDims == 0 ? 0 : st[batchDims - 1];
        long[] ind = indices.toLongs();
        int[] targets = new int[batch * perBatch];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < perBatch; j++) {
                int t = b * batchStride, at = (b * perBatch + j) * k;
                for (int m = 0; m < k; m++) t += index(ind[at + m], s[batchDims + m], op) * st[batchDims + m];
                targets[b * perBatch + j] = t;
            }
        return new int[][] {targets, {slice}};
    }

    private static Tensor[] gatherND(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int b = (int) n.attrInt("batch_dims", 0);
        int[][] t = ndTargets("GatherND", x.shape(), in[1], b);
        int slice = t[1][0];
        int[] idx = new int[t[0].length * slice];
        for (int i = 0; i < t[0].length; i++) for (int j = 0; j < slice; j++) idx[i * slice + j] = t[0][i] + j;
        return new Tensor[] {Index.gather(x, gatherNDShape(x.shape(), in[1].shape(), b), idx)};
    }

    private static int[] gatherNDShape(int[] s, int[] is, int b) {
        int q = is.length, k = is[q - 1];
        int[] out = new int[q - 1 + s.length - b - k];
        System.arraycopy(is, 0, out, 0, q - 1);
        System.arraycopy(s, b + k, out, q - 1, s.length - b - k);
        return out;
    }

    private static ValueType[] gatherNDRule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape(), is = in[1].shape();
        if (s == null || is == null || is[is.length - 1] < 0) return Rules.one(in[0].dtype(), null);
        return Rules.one(in[0].dtype(), gatherNDShape(s, is, (int) n.attrInt("batch_dims", 0)));
    }

    private static Tensor[] scatterND(Node n, Tensor[] in, ExecContext ctx) {
        int[][] t = ndTargets("ScatterND", in[0].shape(), in[1], 0);
        return new Tensor[] {write(n, in[0], t[0], in[2], t[1][0])};
    }
}
