package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * A weight matrix packed once for {@link MicroKernel}: split along its depth into blocks of about {@link #KC}
 * columns, each block laid out as MR-row slivers (rows zero-padded to a multiple of MR), so a layer that multiplies
 * the same weights by many images packs them once. {@link #multiply} then streams an unpacked, row-major right-hand
 * side whose width is a multiple of NR: no packing and no edge tiles on either side.
 * <pre>A: (M,K) row-major at off with row stride lda  ->  blocks[b]: (Mp/MR slivers, kc_b, MR), Mp = roundUp(M, MR)</pre>
 */
public final class PackedWeights {
    // the right-hand sliver (kc rows of NR floats, strided) must stay in L1 while MR-row A slivers stream past it;
    // 128 measured ~20% faster than 320 on the benchmark CNN's conv GEMMs in isolation
    static final int KC = 128, MR = MicroKernel.MR, NR = MicroKernel.NR;

    final int m, k, mp;
    final int[] kcStart;
    final float[][] blocks;

    private PackedWeights(int m, int k, int[] kcStart, float[][] blocks) {
        this.m = m;
        this.k = k;
        this.mp = GemmBlocked.roundUp(m, MR);
        this.kcStart = kcStart;
        this.blocks = blocks;
    }

    public static PackedWeights pack(float[] a, int off, int lda, int m, int k) {
        int nb = Math.max(1, (k + KC - 1) / KC), kc = (k + nb - 1) / nb;
        int[] start = new int[nb + 1];
        float[][] blocks = new float[nb][];
        for (int b = 0; b < nb; b++) {
            start[b] = Math.min(k, b * kc);
            start[b + 1] = Math.min(k, (b + 1) * kc);
            int len = start[b + 1] - start[b];
            blocks[b] = new float[GemmBlocked.roundUp(m, MR) * len];
            GemmPack.packA(false, a, off, lda, 0, m, start[b], len, 1f, blocks[b], MR);
        }
        return new PackedWeights(m, k, start, blocks);
    }

    /** Rows of the product: M rounded up to the micro-kernel height (the extra rows come out zero). */
    public int paddedRows() { return mp; }

    /**
     * C (Mp, n) = A · B, B: (K, n) row-major at bOff with row stride ldb, n a multiple of NR; C row stride ldc.
     * Column slivers are split over the team when {@code par} has threads to spare.
     */
    public void multiply(float[] b, int bOff, int ldb, int n, float[] c, int cOff, int ldc, Parallel par) {
        if (n % NR != 0) throw new IllegalArgumentException("width " + n + " is not a multiple of " + NR);
        int slivers = n / NR;
        long macs = (long) mp * n * k;
        if (par != null && par.threads() > 1 && macs >= Sgemm.PARALLEL_MIN_MACS && slivers >= 2)
            par.forRange(slivers, 1, (lo, hi) -> range(b, bOff, ldb, lo * NR, hi * NR, c, cOff, ldc));
        else range(b, bOff, ldb, 0, n, c, cOff, ldc);
    }

    /** C (Mp, NR) = A · B for one packed sliver of B: rows (K, NR) at {@code sliver[0]}; C row stride ldc. */
    void multiplySliver(float[] sliver, float[] c, int cOff, int ldc) {
        for (int blk = 0; blk < blocks.length; blk++) {
            int pc = kcStart[blk], kc = kcStart[blk + 1] - pc;
            float[] ap = blocks[blk];
            boolean acc = blk > 0;
            for (int ir = 0; ir < mp; ir += MR) MicroKernel.kernel(kc, ap, ir * kc, sliver, pc * NR, c, cOff + ir * ldc, ldc, acc);
        }
    }

    private void range(float[] b, int bOff, int ldb, int j0, int j1, float[] c, int cOff, int ldc) {
        for (int blk = 0; blk < blocks.length; blk++) {
            int pc = kcStart[blk], kc = kcStart[blk + 1] - pc;
            float[] ap = blocks[blk];
            boolean acc = blk > 0;
            for (int jr = j0; jr < j1; jr += NR)
                for (int ir = 0; ir < mp; ir += MR)
                    MicroKernel.kernelStrided(kc, ap, ir * kc, b, bOff + pc * ldb + jr, ldb, c, cOff + ir * ldc + jr, ldc, acc);
        }
    }
}
