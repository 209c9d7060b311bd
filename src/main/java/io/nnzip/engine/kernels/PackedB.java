package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * The right-hand operand of a GEMM packed once for {@link MicroKernel}, for layers that multiply the same weights
 * by every batch (a Gemm's B): {@link GemmBlocked} would otherwise repack it on every call.
 * <pre>op(B): (K,N) -> blocks[b]: (ceil(N/NR) slivers, kc_b, NR), depth split into blocks of {@link GemmBlocked#KC}</pre>
 * {@link #multiply} computes {@code C (M,N) = alpha·op(A)·op(B) (+ C)}, splitting rows of C over the team.
 */
public final class PackedB {
    static final int MR = MicroKernel.MR, NR = MicroKernel.NR, KC = GemmBlocked.KC, MC = GemmBlocked.MC;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {new float[MC * KC], new float[MR * NR]});

    final int k, n;
    private final float[][] blocks;

    private PackedB(int k, int n, float[][] blocks) {
        this.k = k;
        this.n = n;
        this.blocks = blocks;
    }

    /** Packs op(B): B (K,N) row-major with row stride ldb, or B (N,K) when transB. */
    public static PackedB pack(boolean transB, float[] b, int bOff, int ldb, int k, int n) {
        float[][] blocks = new float[(k + KC - 1) / KC][];
        for (int blk = 0, pc = 0; pc < k; pc += KC, blk++) {
            int kc = Math.min(KC, k - pc);
            blocks[blk] = new float[GemmBlocked.roundUp(n, NR) * kc];
            GemmPack.packB(transB, b, bOff, ldb, pc, kc, 0, n, blocks[blk], NR);
        }
        return new PackedB(k, n, blocks);
    }

    public int depth() { return k; }

    public int width() { return n; }

    /** C (M,N) = alpha·op(A)·op(B) + (accumulate ? C : 0); op(A): A (M,K) with row stride lda, or A (K,M) when transA. */
    public void multiply(boolean transA, int m, float alpha, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, boolean accumulate, Parallel par) {
        if (m <= 0) return;
        int mBlocks = (m + MR - 1) / MR;
        int parts = par == null || (long) m * n * k < Sgemm.PARALLEL_MIN_MACS ? 1 : Math.min(par.threads(), mBlocks);
        if (parts <= 1) {
            rows(transA, 0, m, alpha, a, aOff, lda, c, cOff, ldc, accumulate);
            return;
        }
        par.forChunks(parts, parts, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int from = (int) ((long) mBlocks * t / parts) * MR, to = Math.min(m, (int) ((long) mBlocks * (t + 1) / parts) * MR);
                if (from < to) rows(transA, from, to, alpha, a, aOff, lda, c, cOff, ldc, accumulate);
            }
        });
    }

    // rows [i0, i1) of C: depth blocks outermost (the packed B block stays in L2), MC rows of A packed per block
    private void rows(boolean transA, int i0, int i1, float alpha, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, boolean accumulate) {
        float[][] buf = BUFFERS.get();
        float[] ap = buf[0], tile = buf[1];
        // row-major A (alpha 1) is read in place, as GemmBlocked does, unless its rows alias in L1
        boolean direct = !transA && alpha == 1f && lda % 1024 != 0;
        for (int blk = 0, pc = 0; pc < k; pc += KC, blk++) {
            int kc = Math.min(KC, k - pc);
            float[] bp = blocks[blk];
            boolean acc = accumulate || pc > 0;
            for (int ic = i0; ic < i1; ic += MC)
                GemmBlocked.macro(transA, direct, alpha, a, aOff, lda, ic, Math.min(MC, i1 - ic), pc, kc, bp, n, c, cOff, ldc, acc, ap, tile);
        }
    }
}
