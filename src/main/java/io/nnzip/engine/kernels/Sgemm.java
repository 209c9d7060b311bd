package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, all row-major.
 * <pre>
 * op(A): (M,K)  stored as A (M,K) with row stride lda, or A (K,M) when transA
 * op(B): (K,N)  stored as B (K,N) with row stride ldb, or B (N,K) when transB
 * C:     (M,N)  row stride ldc
 * </pre>
 * This is the one entry point every layer (Gemm, MatMul, Conv via im2col, their backward passes) calls.
 */
public final class Sgemm {
    private Sgemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, Parallel par) {
        if (m == 0 || n == 0) return;
        par.forRange(m, 4, (lo, hi) -> {
            float[] row = new float[n];
            for (int i = lo; i < hi; i++) {
                java.util.Arrays.fill(row, 0f);
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    if (av == 0f) continue;
                    if (transB) for (int j = 0; j < n; j++) row[j] += av * b[bOff + j * ldb + p];
                    else {
                        int bo = bOff + p * ldb;
                        for (int j = 0; j < n; j++) row[j] += av * b[bo + j];
                    }
                }
                int co = cOff + i * ldc;
                for (int j = 0; j < n; j++) c[co + j] = alpha * row[j] + (beta == 0f ? 0f : beta * c[co + j]);
            }
        });
    }
}
