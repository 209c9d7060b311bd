package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Transposer;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/**
 * Ops that move data between layouts, for any element type: Transpose, Concat, Split, Expand, Tile, DepthToSpace
 * and SpaceToDepth. Slice and Pad are in {@link SlicePadOps}. Registered by {@link ShapeOps}.
 */
final class LayoutOps {
    private LayoutOps() {}

    static void register() {
        OpRegistry.register("Transpose", (n, in, c) -> new Tensor[] {Transposer.transpose(in[0], perm(n, in[0].rank()), c::floats)}, (n, in, o) -> {
            int[] s = in[0].shape();
            if (s == null) return Rules.one(in[0].dtype(), null);
            int[] p = perm(n, s.length), out = new int[s.length];
            for (int i = 0; i < p.length; i++) out[i] = s[p[i]];
            return Rules.one(in[0].dtype(), out);
        });
        OpRegistry.register("Concat", LayoutOps::concat, LayoutOps::concatRule);
        OpRegistry.register("Split", LayoutOps::split, LayoutOps::splitRule);
        OpRegistry.register("Expand", (n, in, c) -> new Tensor[] {ShapeOps.expandTo(in[0], Shapes.broadcast(in[0].shape(), in[1].toInts()))}, (n, in, o) -> {
            long[] s = Rules.constInts(in, 1);
            if (s == null) return Rules.one(in[0].dtype(), in[1].shape() != null && in[1].shape()[0] >= 0 ? Rules.unknownDims(Math.max(in[1].shape()[0], in[0].rank())) : null);
            int[] target = new int[s.length];
            for (int i = 0; i < s.length; i++) target[i] = (int) s[i];
            return Rules.one(in[0].dtype(), Rules.broadcastShapes(n, in[0], ValueType.of(in[0].dtype(), target)));
        });
        OpRegistry.register("Tile", LayoutOps::tile, (n, in, o) -> {
            long[] rep = Rules.constInts(in, 1);
            int[] s = in[0].shape();
            if (s == null) return Rules.one(in[0].dtype(), null);
            int[] out = new int[s.length];
            for (int i = 0; i < s.length; i++) out[i] = rep == null || s[i] < 0 ? -1 : (int) (s[i] * rep[i]);
            return Rules.one(in[0].dtype(), out);
        });
        OpRegistry.register("DepthToSpace", (n, in, c) -> new Tensor[] {depthToSpace(n, in[0])}, (n, in, o) -> {
            int[] s = in[0].shape();
            int b = (int) n.attrInt("blocksize", 0);
            return Rules.one(in[0].dtype(), s == null ? Rules.unknownDims(4) : new int[] {s[0], div(s[1], b * b), mul(s[2], b), mul(s[3], b)});
        });
        OpRegistry.register("SpaceToDepth", (n, in, c) -> new Tensor[] {spaceToDepth(n, in[0])}, (n, in, o) -> {
            int[] s = in[0].shape();
            int b = (int) n.attrInt("blocksize", 0);
            return Rules.one(in[0].dtype(), s == null ? Rules.unknownDims(4) : new int[] {s[0], mul(s[1], b * b), div(s[2], b), div(s[3], b)});
        });
        SlicePadOps.register();
    }

    private static int mul(int d, int k) { return d < 0 ? -1 : d * k; }

    private static int div(int d, int k) { return d < 0 ? -1 : d / k; }

    static int[] perm(Node n, int rank) {
        long[] p = n.attrInts("perm", null);
        int[] out = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            long v = p == null ? rank - 1 - i : p[i];
            if (p != null && p.length != rank || v < 0 || v >= rank || seen[(int) v])
                throw new NnzipException("Transpose: perm " + java.util.Arrays.toString(p) + " is not a permutation of rank " + rank);
            seen[(int) v] = true;
            out[i] = (int) v;
        }
        return out;
    }

    // inputs: (.., d_k, ..) along axis -> (.., sum d_k, ..)
    private static Tensor[] concat(Node n, Tensor[] in, ExecContext ctx) {
        Tensor first = in[0];
        int r = first.rank();
        int axis = Shapes.axis((int) n.attrInt("axis", 0), r, "Concat");
        int[] out = first.shape();
        out[axis] = 0;
        for (Tensor t : in) {
            if (t.rank() != r || t.dtype() != first.dtype()) throw new NnzipException("Concat: inputs " + describe(in) + " differ in rank or type");
            for (int d = 0; d < r; d++)
                if (d != axis && t.dim(d) != first.dim(d)) throw new NnzipException("Concat: shapes " + describe(in) + " differ outside axis " + axis);
            out[axis] += t.dim(axis);
        }
        int outer = Shapes.product(out, 0, axis), inner = Shapes.product(out, axis + 1, r), row = out[axis] * inner;
        Object dst = Tensor.allocate(first.dtype(), Shapes.numel(out));
        int at = 0;
        for (Tensor t : in) {
            int len = t.dim(axis) * inner;
            for (int o = 0; o < outer; o++) System.arraycopy(t.data(), o * len, dst, o * row + at, len);
            at += len;
        }
        return new Tensor[] {new Tensor(first.dtype(), out, dst)};
    }

    private static String describe(Tensor[] in) {
        StringBuilder b = new StringBuilder();
        for (Tensor t : in) b.append(b.isEmpty() ? "" : ", ").append(t.dtype().lower()).append(Shapes.str(t.shape()));
        return b.toString();
    }

    private static ValueType[] concatRule(Node n, ValueType[] in, int opset) {
        int r = -1;
        for (ValueType v : in) if (v != null && v.shape() != null) r = v.rank();
        if (r < 0) return Rules.one(in[0].dtype(), null);
        int axis = Shapes.axis((int) n.attrInt("axis", 0), r, "Concat");
        int[] out = Rules.unknownDims(r);
        int sum = 0;
        for (ValueType v : in) {
            int[] s = v.shape();
            if (s == null) {
                sum = -1;
                continue;
            }
            if (s.length != r) throw new NnzipException("Concat: inputs differ in rank");
            for (int d = 0; d < r; d++) {
                if (d == axis) continue;
                if (out[d] < 0) out[d] = s[d];
                else if (s[d] >= 0 && s[d] != out[d]) throw new NnzipException("Concat: input dims " + out[d] + " and " + s[d] + " differ at axis " + d);
            }
            sum = sum < 0 || s[axis] < 0 ? -1 : sum + s[axis];
        }
        out[axis] = sum;
        return Rules.one(in[0].dtype(), out);
    }

    /** Sizes of Split's parts: the split attribute or input, else num_outputs or one part per output, as even as possible. */
    private static int[] splitSizes(Node n, long[] split, int dim, int parts) {
        int[] sizes = new int[parts];
        if (split != null) {
            if (split.length != parts) throw new NnzipException("Split: " + split.length + " sizes for " + parts + " outputs");
            long total = 0;
            for (int i = 0; i < parts; i++) total += sizes[i] = (int) split[i];
            if (dim >= 0 && total != dim) throw new NnzipException("Split: sizes " + java.util.Arrays.toString(split) + " do not add up to " + dim);
            return sizes;
        }
        if (dim < 0) return null;
        int each = (dim + parts - 1) / parts;
        if (!n.has("num_outputs") && dim % parts != 0) throw new NnzipException("Split: dim " + dim + " does not split evenly into " + parts);
        for (int i = 0, left = dim; i < parts; i++, left -= each) sizes[i] = Math.max(0, Math.min(each, left));
        return sizes;
    }

    private static long[] splitArg(Node n, Tensor[] in) {
        long[] s = n.attrInts("split", null);
        return s != null ? s : in.length > 1 && in[1] != null ? in[1].toLongs() : null;
    }

    private static Tensor[] split(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int r = x.rank(), axis = Shapes.axis((int) n.attrInt("axis", 0), r, "Split");
        int[] sizes = splitSizes(n, splitArg(n, in), x.dim(axis), n.outputs().size());
        int outer = Shapes.product(x.shape(), 0, axis), inner = Shapes.product(x.shape(), axis + 1, r), row = x.dim(axis) * inner;
        Tensor[] out = new Tensor[sizes.length];
        int at = 0;
        for (int k = 0; k < sizes.length; k++) {
            int[] s = x.shape();
            s[axis] = sizes[k];
            int len = sizes[k] * inner;
            Object dst = Tensor.allocate(x.dtype(), outer * len);
            for (int o = 0; o < outer; o++) System.arraycopy(x.data(), o * row + at, dst, o * len, len);
            at += len;
            out[k] = new Tensor(x.dtype(), s, dst);
        }
        return out;
    }

    private static ValueType[] splitRule(Node n, ValueType[] in, int opset) {
        int parts = n.outputs().size();
        ValueType[] out = new ValueType[parts];
        int[] s = in[0].shape();
        if (s == null) {
            for (int k = 0; k < parts; k++) out[k] = ValueType.unknown(in[0].dtype());
            return out;
        }
        int axis = Shapes.axis((int) n.attrInt("axis", 0), s.length, "Split");
        long[] split = n.attrInts("split", null);
        if (split == null && Rules.present(in, 1)) split = Rules.constInts(in, 1);
        boolean knownSplit = split != null || !Rules.present(in, 1);
        int[] sizes = knownSplit ? splitSizes(n, split, s[axis], parts) : null;
        for (int k = 0; k < parts; k++) {
            int[] o = s.clone();
            o[axis] = sizes == null ? -1 : sizes[k];
            out[k] = ValueType.of(in[0].dtype(), o);
        }
        return out;
    }

    // x: (d_0..d_r) with repeats (k_0..k_r) -> (d_0*k_0 .. d_r*k_r)
    private static Tensor[] tile(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        long[] rep = in[1].toLongs();
        int[] s = x.shape();
        if (rep.length != s.length) throw new NnzipException("Tile: " + rep.length + " repeats for rank " + s.length);
        int[] out = new int[s.length];
        int[][] map = new int[s.length][];
        for (int d = 0; d < s.length; d++) {
            if (rep[d] < 0) throw new NnzipException("Tile: negative repeat " + rep[d]);
            out[d] = (int) (s[d] * rep[d]);
            map[d] = new int[out[d]];
            for (int c = 0; c < out[d]; c++) map[d][c] = c % s[d];
        }
        return new Tensor[] {Index.gather(x, out, Index.perDim(out, map, Shapes.strides(s)))};
    }

    // x: (N,C,H,W) -> (N, C/b², H*b, W*b)
    private static Tensor depthToSpace(Node n, Tensor x) {
        int b = blocksize(n, x);
        int[] s = x.shape();
        int c = s[1] / (b * b);
        boolean crd = n.attrString("mode", "DCR").equals("CRD");
        Tensor v = crd ? x.reshape(s[0], c, b, b, s[2], s[3]) : x.reshape(s[0], b, b, c, s[2], s[3]);
        Tensor t = Index.transpose(v, crd ? new int[] {0, 1, 4, 2, 5, 3} : new int[] {0, 3, 4, 1, 5, 2});
        return t.reshape(s[0], c, s[2] * b, s[3] * b);
    }

    // x: (N,C,H,W) -> (N, C*b², H/b, W/b)
    private static Tensor spaceToDepth(Node n, Tensor x) {
        int b = blocksize(n, x);
        int[] s = x.shape();
        if (s[2] % b != 0 || s[3] % b != 0) throw new NnzipException("SpaceToDepth: " + Shapes.str(s) + " not divisible by blocksize " + b);
        Tensor v = x.reshape(s[0], s[1], s[2] / b, b, s[3] / b, b);
        return Index.transpose(v, new int[] {0, 3, 5, 1, 2, 4}).reshape(s[0], s[1] * b * b, s[2] / b, s[3] / b);
    }

    private static int blocksize(Node n, Tensor x) {
        int b = (int) n.attrInt("blocksize", 0);
        if (b <= 0 || x.rank() != 4) throw new NnzipException(n.opType() + ": needs blocksize > 0 and a 4-D input, got " + b + " and " + Shapes.str(x.shape()));
        if (n.opType().equals("DepthToSpace") && x.dim(1) % (b * b) != 0) throw new NnzipException("DepthToSpace: channels " + x.dim(1) + " not divisible by " + b * b);
        return b;
    }
}
