package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.Sgemm;

/**
 * Gradients of Y = alpha·op(A)·op(B), as two GEMMs.
 * <pre>
 * op(A): (M,K) stored (M,K), or (K,M) when transA;  op(B): (K,N) stored (K,N), or (N,K) when transB;  dy: (M,N)
 * dA = alpha·dy·op(B)^T  (stored transposed when transA: alpha·op(B)·dy^T)
 * dB = alpha·op(A)^T·dy  (stored transposed when transB: alpha·dy^T·op(A))
 * </pre>
 */
public final class MatMulBackward {
    private MatMulBackward() {}

    /** dA of shape A's storage, overwritten. */
    public static void gradA(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] b, int bOff, float[] dy, int dyOff, float[] da, int daOff, float beta, Parallel par) {
        int ldb = transB ? k : n;
        if (!transA) Sgemm.gemm(false, !transB, m, k, n, alpha, dy, dyOff, n, b, bOff, ldb, beta, da, daOff, k, par);
        else Sgemm.gemm(transB, true, k, m, n, alpha, b, bOff, ldb, dy, dyOff, n, beta, da, daOff, m, par);
    }

    /** dB of shape B's storage; {@code beta} = 1 accumulates (batched MatMul with a shared B). */
    public static void gradB(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, float[] dy, int dyOff, float[] db, int dbOff, float beta, Parallel par) {
        int lda = transA ? m : k;
        if (!transB) Sgemm.gemm(!transA, false, k, n, m, alpha, a, aOff, lda, dy, dyOff, n, beta, db, dbOff, n, par);
        else Sgemm.gemm(true, transA, n, k, m, alpha, dy, dyOff, n, a, aOff, lda, beta, db, dbOff, k, par);
    }
}
