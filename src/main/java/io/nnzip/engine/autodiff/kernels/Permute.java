package io.nnzip.engine.autodiff.kernels;

import io.nnzip.ir.Shapes;

/** Transposes a row-major array: out[i_perm[0], i_perm[1], ...] = x[i_0, i_1, ...]. */
public final class Permute {
    private Permute() {}

    // x: shape -> y: (shape[perm[0]], shape[perm[1]], ...)
    public static float[] apply(float[] x, int[] shape, int[] perm) {
        int rank = shape.length, n = x.length;
        int[] inSt = Shapes.strides(shape);
        int[] outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
        int[] st = new int[rank];
        for (int i = 0; i < rank; i++) st[i] = inSt[perm[i]];
        float[] y = new float[n];
        int[] idx = new int[rank];
        int src = 0;
        for (int o = 0; o < n; o++) {
            y[o] = x[src];
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                src += st[d];
                if (idx[d] < outShape[d]) break;
                src -= st[d] * outShape[d];
                idx[d] = 0;
            }
        }
        return y;
    }

    public static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[perm[i]] = i;
        return inv;
    }
}
