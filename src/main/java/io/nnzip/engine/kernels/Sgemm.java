package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, all row-major.
 * <pre>
 * op(A): (M,K)  stored as A (M,K) with row stride lda, or A (K,M) when transA
 * op(B): (K,N)  stored as B (K,N) with row stride ldb, or B (N,K) when transB
 * C:     (M,N)  row stride ldc
 * </pre>
 * This is the one entry point every layer (Gemm, MatMul, Conv via im2col, their backward passes) calls. It packs
 * and cache-blocks the operands ({@link GemmBlocked}) around a vector micro-kernel ({@link MicroKernel}); problems
 * big enough to pay for it are split over the thread team by rows of C (by columns when C is short and wide).
 */
public final class Sgemm {
    /** Below this many multiply-adds a second thread costs more than it saves. */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    private Sgemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float beta, float[] c, int cOff, int ldc, Parallel par) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0f) {
            scale(c, cOff, ldc, m, n, beta);
            return;
        }
        if (beta != 0f && beta != 1f) {
            scale(c, cOff, ldc, m, n, beta);
            beta = 1f;
        }
        boolean overwrite = beta == 0f;
        long macs = (long) m * n * k;
        int threads = macs < PARALLEL_MIN_MACS || par == null ? 1 : par.threads();
        int nBlocks = (n + GemmBlocked.NR - 1) / GemmBlocked.NR, mBlocks = (m + GemmBlocked.MR - 1) / GemmBlocked.MR;
        if (threads > 1 && nBlocks < threads && mBlocks < threads) threads = 1;
        if (threads == 1) {
            GemmBlocked.run(transA, transB, 0, m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, overwrite);
            return;
        }
        // columns first: each thread packs only its own slice of the large B panel (an L2-sized A block is cheap to repack)
        boolean byColumns = mBlocks < threads || nBlocks >= 2 * threads;
        int parts = threads, blocks = byColumns ? nBlocks : mBlocks, unit = byColumns ? GemmBlocked.NR : GemmBlocked.MR;
        float beta0 = beta;
        // a column split would pack all of A in every thread: read it in place unless its rows alias in L1
        boolean inPlaceA = byColumns && !transA && lda % 1024 != 0;
        par.forChunks(parts, parts, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int from = (int) ((long) blocks * t / parts) * unit, to = Math.min(byColumns ? n : m, (int) ((long) blocks * (t + 1) / parts) * unit);
                if (from >= to) continue;
                if (byColumns) GemmBlocked.run(transA, transB, 0, m, from, to, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta0 == 0f, inPlaceA);
                else GemmBlocked.run(transA, transB, from, to, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta0 == 0f);
            }
        });
    }

    private static void scale(float[] c, int cOff, int ldc, int m, int n, float beta) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int o = cOff + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, o, o + n, 0f);
            else for (int j = 0; j < n; j++) c[o + j] *= beta;
        }
    }
}
