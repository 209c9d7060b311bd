package io.nnzip.engine.ops;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.SparseGemm;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;

/**
 * Gemm / MatMul with a pruned right operand B (K×N, or N×K with transB), run by {@link SparseGemm}: B's N output
 * features in compressed rows, the batch rows of A vectorized, bias and ReLU applied in the kernel's epilogue.
 */
final class SparseLinear {
    private SparseLinear() {}

    /** op(B) as N compressed rows of K, or null when B is dense enough for the dense kernel. */
    static SparseRows weights(boolean tb, float[] b, int k, int n) {
        SparseRows sp = tb ? SparseWeights.rows(b, 0, n, k) : SparseWeights.columns(b, 0, k, n);
        return sp == null || !SparseGemm.pays(sp.nonzeros(), k, n) ? null : sp;
    }

    /**
     * y (M×N) = act(alpha·op(A)·op(B) + bias), bias one value per output feature (null for none), through the sparse
     * kernel; false (y untouched) when B is dense enough for the dense kernel.
     */
    static boolean linear(boolean ta, boolean tb, int m, int k, int n, float alpha, float[] a, int lda, float[] b, float[] bias, boolean relu, float[] y,
            Parallel par) {
        return linear(weights(tb, b, k, n), ta, m, n, alpha, a, lda, bias, relu, y, par);
    }

    /** As above with op(B)'s compressed rows already looked up ({@link #weights}; null: the dense kernel). */
    static boolean linear(SparseRows sp, boolean ta, int m, int n, float alpha, float[] a, int lda, float[] bias, boolean relu, float[] y, Parallel par) {
        if (sp == null) return false;
        run(sp, ta, m, n, alpha, a, lda, bias, relu, y, par);
        return true;
    }

    private static void run(SparseRows sp, boolean ta, int m, int n, float alpha, float[] a, int lda, float[] bias, boolean relu, float[] y, Parallel par) {
        if (!ta) {
            SparseGemm.multiply(sp, a, 0, lda, m, alpha, bias, relu, y, 0, n, false, par);
            return;
        }
        // A stored K×M: its rows are already the kernel's batch lines; Yᵀ = B_csr · A, transposed back with the epilogue
        float[] yt = new float[n * m];
        sp.multiply(a, 0, lda, m, alpha, yt, 0, m, false, par);
        for (int i0 = 0; i0 < m; i0 += T)
            for (int j0 = 0; j0 < n; j0 += T)
                for (int i = i0; i < Math.min(m, i0 + T); i++)
                    for (int j = j0; j < Math.min(n, j0 + T); j++) {
                        float v = yt[j * m + i] + (bias == null ? 0f : bias[j]);
                        y[i * n + j] = relu ? Math.max(0f, v) : v;
                    }
    }

    /**
     * y (M×N, holding C when {@code accumulate}) = beta·y + alpha·op(A)·op(B) through the sparse kernel (a C that is not
     * one value per output feature); false (y untouched) when B is dense enough for the dense kernel.
     */
    static boolean gemm(boolean ta, boolean tb, int m, int k, int n, float alpha, float[] a, int lda, float[] b, float[] y, boolean accumulate, float beta,
            Parallel par) {
        return gemm(weights(tb, b, k, n), ta, m, n, alpha, a, lda, y, accumulate, beta, par);
    }

    /** As above with op(B)'s compressed rows already looked up ({@link #weights}; null: the dense kernel). */
    static boolean gemm(SparseRows sp, boolean ta, int m, int n, float alpha, float[] a, int lda, float[] y, boolean accumulate, float beta, Parallel par) {
        if (ta && accumulate) return false; // rare enough to leave to the dense kernel
        if (sp == null) return false;
        if (ta) run(sp, true, m, n, alpha, a, lda, null, false, y, par);
        else {
            if (accumulate && beta != 1f) for (int i = 0; i < m * n; i++) y[i] *= beta;
            SparseGemm.multiply(sp, a, 0, lda, m, alpha, null, false, y, 0, n, accumulate, par);
        }
        return true;
    }

    /** Tile edge of the transpose: a tile of source and destination lines stays in L1 (a plain loop misses on every write). */
    private static final int T = 32;
}
