package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;

/**
 * Gemm / MatMul with a pruned right operand B (K×N, or N×K with transB): Yᵀ = Bᵀ_csr · Aᵀ, so the CSR product
 * streams contiguous rows of Aᵀ. The two transposes cost M·(K+N) moves against the dense product's M·N·K MACs.
 */
final class SparseLinear {
    /**
     * Off unless -Dnnzip.sparseGemm=true: inside the engine this path measured 0.3-0.4x of the dense Gemm on the
     * 95 %-pruned MLP (SparseBenchMain, under load) although the CSR product alone runs ~1 ms for that layer; the
     * overhead is outside the kernel and not yet found.
     */
    static final boolean ENABLED = Boolean.getBoolean("nnzip.sparseGemm");

    private SparseLinear() {}

    /**
     * y (M×N, holding C when {@code accumulate}, scaled here by beta) += alpha·op(A)·op(B) through the sparse kernel; false (y
     * untouched) when B is dense enough for the dense kernel.
     */
    static boolean gemm(boolean ta, boolean tb, int m, int k, int n, float alpha, float[] a, int lda, float[] b, float[] y, boolean accumulate, float beta, Parallel par) {
        if (!ENABLED) return false;
        SparseRows sp = tb ? SparseWeights.rows(b, 0, n, k) : SparseWeights.columns(b, 0, k, n);
        if (sp == null) return false;
        if (accumulate && beta != 1f) for (int i = 0; i < m * n; i++) y[i] *= beta;
        float[] at;
        if (ta) at = lda == m ? a : copyRows(a, k, m, lda);
        else {
            at = new float[k * m];
            transpose(a, lda, m, k, at);
        }
        float[] yt = new float[n * m];
        sp.multiply(at, 0, m, m, alpha, yt, 0, m, false, par);
        if (!accumulate) transpose(yt, m, n, m, y);
        else
            for (int i0 = 0; i0 < m; i0 += T)
                for (int j0 = 0; j0 < n; j0 += T)
                    for (int i = i0; i < Math.min(m, i0 + T); i++)
                        for (int j = j0; j < Math.min(n, j0 + T); j++) y[i * n + j] += yt[j * m + i];
        return true;
    }

    /** Tile edge of the transposes: a tile of source and destination lines stays in L1 (a plain loop misses on every write). */
    private static final int T = 32;

    /** dst (cols×rows) = srcᵀ, src rows×cols with leading dimension ld. */
    static void transpose(float[] src, int ld, int rows, int cols, float[] dst) {
        for (int i0 = 0; i0 < rows; i0 += T)
            for (int j0 = 0; j0 < cols; j0 += T) {
                int i1 = Math.min(rows, i0 + T), j1 = Math.min(cols, j0 + T);
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++) dst[j * rows + i] = src[i * ld + j];
            }
    }

    private static float[] copyRows(float[] a, int rows, int cols, int ld) {
        float[] o = new float[rows * cols];
        for (int r = 0; r < rows; r++) System.arraycopy(a, r * ld, o, r * cols, cols);
        return o;
    }
}
