package io.nnzip.engine.kernels;

/**
 * The serial, cache-blocked GEMM over one rectangle of C (rows [i0,i1), cols [j0,j1)). Loop nest: NC columns of
 * B, KC depth (the packed B block stays in L2/L3), MC rows of A (the packed A block stays in L2), then NR×MR tiles
 * whose B sliver stays in L1 while A slivers stream past it. On request row-major A with alpha 1 is not packed at
 * all: its slivers are read in place by {@link MicroKernel#kernelRowsA}.
 */
final class GemmBlocked {
    static final int MR = MicroKernel.MR, NR = MicroKernel.NR;
    static final int KC = 256, MC = 144, NC = 3072;

    /** Per-thread packing buffers, grown on demand and reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[MR * NR]});

    private GemmBlocked() {}

    /** C[i0..i1, j0..j1) = (overwrite ? 0 : C) + alpha·op(A)·op(B) over the rectangle, A packed. */
    static void run(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float[] c, int cOff, int ldc, boolean overwrite) {
        run(transA, transB, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, overwrite, false);
    }

    /**
     * As above; {@code inPlaceA} reads row-major A (alpha 1) without packing. That saves the packing a column split
     * repeats in every thread, but costs L1 conflicts when rows are a multiple of 4 KiB apart (measured ~9% slower
     * at 1024² on one thread), so callers choose.
     */
    static void run(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float[] c, int cOff, int ldc, boolean overwrite, boolean inPlaceA) {
        float[][] buf = BUFFERS.get();
        int ncMax = Math.min(NC, roundUp(j1 - j0, NR)), kcMax = Math.min(KC, k), mcMax = Math.min(MC, roundUp(i1 - i0, MR));
        if (buf[0].length < mcMax * kcMax) buf[0] = new float[mcMax * kcMax];
        if (buf[1].length < ncMax * kcMax) buf[1] = new float[ncMax * kcMax];
        float[] ap = buf[0], bp = buf[1], tile = buf[2];
        boolean direct = inPlaceA && !transA && alpha == 1f;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                GemmPack.packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp, NR);
                boolean acc = !(overwrite && pc == 0);
                for (int ic = i0; ic < i1; ic += MC)
                    macro(transA, direct, alpha, a, aOff, lda, ic, Math.min(MC, i1 - ic), pc, kc, bp, nc, c, cOff + jc, ldc, acc, ap, tile);
            }
        }
    }

    /**
     * One MC×KC block of A times a packed KC×nc block of B into rows [ic, ic+mc) of C (column 0 at cOff), added to C
     * when {@code acc}. With {@code direct} the whole MR-row slivers of row-major A are read in place; a last partial
     * sliver is packed (zero-padded) into ap. Edge tiles go through {@code tile} so the micro-kernel never writes
     * outside C.
     */
    static void macro(boolean transA, boolean direct, float alpha, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                      float[] bp, int nc, float[] c, int cOff, int ldc, boolean acc, float[] ap, float[] tile) {
        int full = direct ? mc / MR * MR : 0;
        if (full < mc) GemmPack.packA(transA, a, aOff, lda, ic + full, mc - full, pc, kc, alpha, ap, MR);
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir), co = cOff + (ic + ir) * ldc + jr;
                boolean inPlace = ir < full;
                int ao = inPlace ? aOff + (ic + ir) * lda + pc : (ir - full) * kc;
                if (mr == MR && nr == NR) {
                    if (inPlace) MicroKernel.kernelRowsA(kc, a, ao, lda, bp, jr * kc, c, co, ldc, acc);
                    else MicroKernel.kernel(kc, ap, ao, bp, jr * kc, c, co, ldc, acc);
                    continue;
                }
                if (inPlace) MicroKernel.kernelRowsA(kc, a, ao, lda, bp, jr * kc, tile, 0, NR, false);
                else MicroKernel.kernel(kc, ap, ao, bp, jr * kc, tile, 0, NR, false);
                for (int i = 0; i < mr; i++)
                    for (int j = 0; j < nr; j++) c[co + i * ldc + j] = acc ? c[co + i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
            }
        }
    }

    static int roundUp(int x, int m) { return (x + m - 1) / m * m; }
}
