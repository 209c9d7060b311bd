package io.nnzip.engine.ops.support;

import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/**
 * Dtype-agnostic data movement: every layout op (Transpose, Gather, Slice, Expand, Tile, Pad ...) computes, for
 * each output element, which input element it copies, and {@link #take} copies it whatever the storage array is.
 */
public final class Index {
    private Index() {}

    /** {@code out[i] = src[idx[i]]} over any tensor storage array. */
    public static Object take(Object src, int[] idx) {
        int n = idx.length;
        switch (src) {
            case float[] a -> { float[] o = new float[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case double[] a -> { double[] o = new double[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case long[] a -> { long[] o = new long[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case int[] a -> { int[] o = new int[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case short[] a -> { short[] o = new short[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case byte[] a -> { byte[] o = new byte[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            case String[] a -> { String[] o = new String[n]; for (int i = 0; i < n; i++) o[i] = a[idx[i]]; return o; }
            default -> throw new IllegalArgumentException("not a tensor array: " + src.getClass());
        }
    }

    /** A tensor of {@code src}'s type and shape {@code shape} with elements {@code src[idx[i]]}. */
    public static Tensor gather(Tensor src, int[] shape, int[] idx) { return new Tensor(src.dtype(), shape, take(src.data(), idx)); }

    /** Strides of {@code in} laid against the trailing dims of {@code out}, 0 where {@code in} broadcasts. */
    public static int[] broadcastStrides(int[] in, int[] out) {
        int[] s = Shapes.strides(in);
        int[] r = new int[out.length];
        int off = out.length - in.length;
        for (int i = 0; i < in.length; i++) {
            if (in[i] != out[i + off] && in[i] != 1)
                throw new NnzipException("shape " + Shapes.str(in) + " does not broadcast to " + Shapes.str(out));
            r[i + off] = in[i] == 1 ? 0 : s[i];
        }
        return r;
    }

    /** For each element of {@code out} (row-major), the flat index of the element of {@code in} broadcast onto it. */
    public static int[] broadcastMap(int[] in, int[] out) { return strided(out, broadcastStrides(in, out), 0); }

    /** For each element of a tensor of shape {@code shape}, {@code base + sum(coord[d] * strides[d])}. */
    public static int[] strided(int[] shape, int[] strides, int base) {
        int n = Shapes.numel(shape);
        int[] idx = new int[n];
        if (n == 0) return idx;
        int r = shape.length;
        int[] coord = new int[r];
        int off = base;
        for (int i = 0; i < n; i++) {
            idx[i] = off;
            for (int d = r - 1; d >= 0; d--) {
                coord[d]++;
                off += strides[d];
                if (coord[d] < shape[d]) break;
                off -= strides[d] * coord[d];
                coord[d] = 0;
            }
        }
        return idx;
    }

    /** Value of a scalar or 1-element tensor as a double, or {@code dflt} when absent. */
    public static double scalar(Tensor t, double dflt) {
        if (t == null) return dflt;
        if (t.size() != 1) throw new NnzipException("expected a scalar, got shape " + Shapes.str(t.shape()));
        return t.getDouble(0);
    }

    /**
     * For each element of a tensor of shape {@code out}, the flat index into a source with strides {@code inStrides}
     * where {@code dimMap[d][c]} is the source coordinate along dim d of output coordinate c; -1 in any dim marks
     * an element with no source (padding) and yields {@code -1}.
     */
    public static int[] perDim(int[] out, int[][] dimMap, int[] inStrides) {
        int n = Shapes.numel(out), r = out.length;
        int[] idx = new int[n];
        if (n == 0) return idx;
        int[] coord = new int[r];
        for (int i = 0; i < n; i++) {
            int off = 0;
            for (int d = 0; d < r && off >= 0; d++) {
                int c = dimMap[d][coord[d]];
                off = c < 0 ? -1 : off + c * inStrides[d];
            }
            idx[i] = off;
            for (int d = r - 1; d >= 0; d--) {
                if (++coord[d] < out[d]) break;
                coord[d] = 0;
            }
        }
        return idx;
    }

    /** Permutes dims: {@code out.shape[i] = x.shape[perm[i]]} (any dtype). */
    public static Tensor transpose(Tensor x, int[] perm) {
        int[] s = x.shape(), st = Shapes.strides(s), out = new int[s.length], pst = new int[s.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = s[perm[i]];
            pst[i] = st[perm[i]];
        }
        return gather(x, out, strided(out, pst, 0));
    }
}
