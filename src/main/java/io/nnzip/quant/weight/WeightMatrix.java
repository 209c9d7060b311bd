package io.nnzip.quant.weight;

import io.nnzip.ir.Tensor;

/**
 * A weight seen as rows = output channels, cols = everything one output channel reads: Conv (K,C,R,S) → (K, CRS),
 * Gemm transB (N,K) → (N,K), MatMul / Gemm (K,N) → (N,K) transposed. Groups and codebooks work on rows; the
 * emitters turn rows back into the original layout.
 */
record WeightMatrix(float[] m, int rows, int cols, int[] shape, int outAxis) {
    static WeightMatrix of(Tensor w, int outAxis) {
        float[] x = w.toFloats();
        int[] s = w.shape();
        if (outAxis == 0) {
            int rows = s[0];
            return new WeightMatrix(x, rows, x.length / rows, s, 0);
        }
        // (K, N) with outputs along axis 1: transpose to (N, K)
        int k = s[0], n = s[1];
        float[] t = new float[x.length];
        for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) t[j * k + i] = x[i * n + j];
        return new WeightMatrix(t, n, k, s, 1);
    }

    /** Row-major rows×cols values back in the weight's own layout. */
    float[] toOriginal(float[] rowsMajor) {
        if (outAxis == 0) return rowsMajor;
        int n = rows, k = cols;
        float[] x = new float[rowsMajor.length];
        for (int i = 0; i < k; i++) for (int j = 0; j < n; j++) x[i * n + j] = rowsMajor[j * k + i];
        return x;
    }

    /** Emits the node(s) turning a (rows, cols) float value into the original weight layout. */
    String restore(io.nnzip.ir.Graph g, String matrix, String base) {
        if (outAxis == 1) return Containers.node(g, "Transpose", base + "_t", java.util.List.of(matrix), io.nnzip.ir.Attribute.of("perm", 1L, 0L));
        if (shape.length == 2) return matrix;
        return Containers.reshape(g, matrix, shape, base);
    }
}
