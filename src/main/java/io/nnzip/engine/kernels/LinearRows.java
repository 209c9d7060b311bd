package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * A linear layer over many rows with a small weight matrix: a transformer's token projections (256 images × 17
 * tokens = 4352 rows, K 64 or 128, N 64 to 192), where {@link Sgemm}'s cache blocking has nothing to block and its
 * packing of A is a fifth of the work.
 * <pre>
 * x: (rows, K) row-major,  w: (K, N) row-major,  bias: (N) or null,  residual: (rows, N) or null
 * y: (rows, N) = x·w + bias, then GELU (exact erf form) when asked, then + residual
 * </pre>
 * w is packed on every call into 64-column slivers of full depth, zero-padded (K·N floats: microseconds, against
 * hundreds for the product); x is read in place by {@link MicroKernel6x64}, whose accumulators start at the bias.
 * Threads take 6-row strips as they come free ({@link Parallel#forGuided}); GELU and the residual run on every group
 * of {@link #GROUP} strips while its rows are still in L1.
 */
public final class LinearRows {
    static final int MR = MicroKernel6x64.MR, NR = MicroKernel6x64.NR;
    /** Strips per epilogue group: 48 rows, at most 48 KiB of output at N = 256. */
    static final int GROUP = 8;
    /** A 6-row strip of A (12 KiB at K = 512) stays in L1 and a B sliver (K × 64, 128 KiB) in L2; deeper products block. */
    public static final int MAX_K = 512;
    public static final int MAX_N = 1024;

    /** Per thread: {tile (MR, NR), edge rows of A (MR, K)}; per caller: {packed B, padded bias}. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[MR * NR], new float[0]});
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    private LinearRows() {}

    /**
     * Whether this path suits the shape: depth and width within the limits above, and the padding of N to 64-column
     * slivers wastes at most a quarter of the last sliver's work (N = 48 or 96..128 are fine, N = 10 is not).
     */
    public static boolean fits(int rows, int k, int n) {
        int np = roundUp(n, NR);
        return rows >= MR && k >= 1 && k <= MAX_K && n >= 1 && n <= MAX_N && 4L * (np - n) <= np;
    }

    public static void run(int rows, int k, int n, float[] x, float[] w, float[] bias, boolean gelu, float[] residual, float[] y, Parallel par) {
        if (rows <= 0) return;
        int np = roundUp(n, NR);
        float[][] packed = PACKED.get();
        if (packed[0].length < k * np) packed[0] = new float[k * np];
        if (packed[1].length < np) packed[1] = new float[np];
        float[] bp = packed[0], bz = packed[1];
        GemmPack.packB(false, w, 0, n, 0, k, 0, n, bp, NR);
        if (bias != null) System.arraycopy(bias, 0, bz, 0, n);
        java.util.Arrays.fill(bz, bias != null ? n : 0, np, 0f);
        int strips = (rows + MR - 1) / MR;
        Parallel.Range body = (lo, hi) -> {
            for (int g = lo; g < hi; g += GROUP) {
                int gEnd = Math.min(hi, g + GROUP);
                for (int s = g; s < gEnd; s++) strip(s * MR, rows, k, n, np, x, bp, bz, y);
                int to = Math.min(rows, gEnd * MR) * n;
                if (gelu) GeluRange.apply(y, g * MR * n, to, residual);
                else if (residual != null) BiasGelu.rows(y, g * MR, to / n, n, null, false, residual);
            }
        };
        if (par == null || par.threads() < 2 || (long) rows * k * n < Sgemm.PARALLEL_MIN_MACS) body.run(0, strips);
        else par.forGuided(strips, GROUP, body);
    }

    // rows [r0, r0 + 6) of y: every sliver; a strip past the last row or a sliver past column n goes through scratch
    private static void strip(int r0, int rows, int k, int n, int np, float[] x, float[] bp, float[] bz, float[] y) {
        int mr = Math.min(MR, rows - r0);
        float[][] scratch = SCRATCH.get();
        float[] a = x, tile = scratch[0];
        int ao = r0 * k;
        if (mr < MR) {
            if (scratch[1].length < MR * k) scratch[1] = new float[MR * k];
            a = scratch[1];
            System.arraycopy(x, ao, a, 0, mr * k);
            ao = 0;
        }
        for (int j = 0; j < np; j += NR) {
            if (mr == MR && j + NR <= n) {
                MicroKernel6x64.kernel(k, a, ao, k, bp, j * k, bz, j, y, r0 * n + j, n);
                continue;
            }
            MicroKernel6x64.kernel(k, a, ao, k, bp, j * k, bz, j, tile, 0, NR);
            int cols = Math.min(NR, n - j);
            for (int i = 0; i < mr; i++) System.arraycopy(tile, i * NR, y, (r0 + i) * n + j, cols);
        }
    }

    static int roundUp(int x, int m) { return (x + m - 1) / m * m; }
}
