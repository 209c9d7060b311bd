package io.nnzip.ir;

import java.util.Arrays;

/** Helpers on concrete shapes ({@code int[]} dims, row-major). */
public final class Shapes {
    private Shapes() {}

    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new NnzipException("negative dimension in shape " + Arrays.toString(shape));
            n = n > Integer.MAX_VALUE && d > 0 ? n : n * d; // saturates: (2^31-1)^3 must not wrap to a small count
        }
        if (n > Integer.MAX_VALUE) throw new NnzipException("tensor too large: shape " + Arrays.toString(shape));
        return (int) n;
    }

    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Numpy-style (multidirectional) broadcast of two shapes. */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da == db || db == 1) out[i] = da;
            else if (da == 1) out[i] = db;
            else throw new NnzipException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
        }
        return out;
    }

    public static int[] broadcast(int[]... shapes) {
        int[] out = shapes[0];
        for (int i = 1; i < shapes.length; i++) out = broadcast(out, shapes[i]);
        return out;
    }

    /** Normalizes a possibly negative axis against a rank, with a clear error when out of range. */
    public static int axis(int axis, int rank, String where) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new NnzipException(where + ": axis " + axis + " out of range for rank " + rank);
        return a;
    }

    public static String str(int[] shape) { return Arrays.toString(shape); }

    public static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}
