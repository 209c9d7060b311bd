package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;

/**
 * Gemm / MatMul with a pruned right operand B (K×N, or N×K with transB): Yᵀ = Bᵀ_csr · Aᵀ, so the CSR product
 * streams contiguous rows of Aᵀ. The two transposes cost M·(K+N) moves against the dense product's M·N·K MACs.
 */
final class SparseLinear {
    private SparseLinear() {}

    /**
     * y (M×N, holding C when {@code accumulate}, scaled here by beta) += alpha·op(A)·op(B) through the sparse kernel; false (y
     * untouched) when B is dense enough for the dense kernel.
     */
    static boolean gemm(boolean ta, boolean tb, int m, int k, int n, float alpha, float[] a, int lda, float[] b, float[] y, boolean accumulate, float beta, Parallel par) {
        SparseRows sp = tb ? SparseWeights.rows(b, 0, n, k) : SparseWeights.columns(b, 0, k, n);
        if (sp == null) return false;
        if (accumulate && beta != 1f) for (int i = 0; i < m * n; i++) y[i] *= beta;
        float[] at;
        if (ta) at = lda == m ? a : copyRows(a, k, m, lda);
        else {
            at = new float[k * m];
            for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) at[j * m + i] = a[i * lda + j];
        }
        float[] yt = new float[n * m];
        sp.multiply(at, 0, m, m, alpha, yt, 0, m, false, par);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) y[i * n + j] = accumulate ? y[i * n + j] + yt[j * m + i] : yt[j * m + i];
        return true;
    }

    private static float[] copyRows(float[] a, int rows, int cols, int ld) {
        float[] o = new float[rows * cols];
        for (int r = 0; r < rows; r++) System.arraycopy(a, r * ld, o, r * cols, cols);
        return o;
    }
}
