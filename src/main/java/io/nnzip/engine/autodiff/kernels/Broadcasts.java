package io.nnzip.engine.autodiff.kernels;

import io.nnzip.ir.Shapes;

/**
 * Moving gradients across NumPy broadcasting: {@link #reduceTo} sums an output-shaped gradient down to an input's
 * shape (the adjoint of broadcasting), {@link #expand} materializes an input at the output's shape.
 */
public final class Broadcasts {
    private Broadcasts() {}

    /** Strides of {@code in} aligned right against {@code out}, 0 where {@code in} is broadcast. */
    static int[] alignedStrides(int[] in, int[] out) {
        int[] st = Shapes.strides(in);
        int[] r = new int[out.length];
        int shift = out.length - in.length;
        for (int i = 0; i < out.length; i++) {
            int j = i - shift;
            r[i] = j < 0 || in[j] == 1 ? 0 : st[j];
        }
        return r;
    }

    // g: out shape -> result: in shape (sum over broadcast axes)
    public static float[] reduceTo(float[] g, int[] out, int[] in) {
        if (java.util.Arrays.equals(out, in)) return g;
        float[] r = new float[Shapes.numel(in)];
        if (r.length == 1) {
            double s = 0;
            for (float v : g) s += v;
            r[0] = (float) s;
            return r;
        }
        int[] st = alignedStrides(in, out);
        walk(out, st, (i, j) -> r[j] += g[i]);
        return r;
    }

    /** x (shape {@code in}) broadcast to shape {@code out} and multiplied by {@code scale}, written into {@code r}. */
    public static void expandInto(float[] x, int[] in, int[] out, float[] r, float scale) {
        if (x.length == r.length) {
            for (int i = 0; i < r.length; i++) r[i] = x[i] * scale;
            return;
        }
        if (x.length == 1) {
            java.util.Arrays.fill(r, x[0] * scale);
            return;
        }
        int[] st = alignedStrides(in, out);
        walk(out, st, (i, j) -> r[i] = x[j] * scale);
    }

    // x: in shape -> result: out shape
    public static float[] expand(float[] x, int[] in, int[] out) {
        if (java.util.Arrays.equals(out, in)) return x;
        float[] r = new float[Shapes.numel(out)];
        if (x.length == 1) {
            java.util.Arrays.fill(r, x[0]);
            return r;
        }
        int[] st = alignedStrides(in, out);
        walk(out, st, (i, j) -> r[i] = x[j]);
        return r;
    }

    interface Pair {
        void at(int outIndex, int inIndex);
    }

    /** Visits every output index with the matching broadcast input index; the innermost axis runs as a loop. */
    private static void walk(int[] out, int[] st, Pair f) {
        int rank = out.length, n = Shapes.numel(out);
        if (n == 0) return;
        int inner = out[rank - 1], innerStride = st[rank - 1];
        int[] idx = new int[rank];
        int base = 0;
        for (int o = 0; o < n; o += inner) {
            for (int t = 0; t < inner; t++) f.at(o + t, base + t * innerStride);
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                base += st[d];
                if (idx[d] < out[d]) break;
                base -= st[d] * out[d];
                idx[d] = 0;
            }
        }
    }
}
