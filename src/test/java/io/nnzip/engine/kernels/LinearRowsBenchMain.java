package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * GFLOP/s of a ViT's token projections at batch 256 (rows = 256 × 17 tokens, or × 50 for a class-token ViT with
 * patch 4), on a team of THREADS: {@link Sgemm} (what MatMul ran before {@link LinearRows}) against LinearRows, plain
 * and with its bias + GELU epilogue. Best wall time of ITERS calls; run under {@code chrt -r 10} on a shared host.
 * <pre>java ... io.nnzip.engine.kernels.LinearRowsBenchMain [THREADS [ITERS]]</pre>
 */
public final class LinearRowsBenchMain {
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2, iters = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int[][] shapes = {{4352, 64, 192}, {4352, 64, 64}, {4352, 64, 128}, {4352, 128, 64}, {12800, 64, 192}, {12800, 64, 128}};
        java.util.Random r = new java.util.Random(1);
        try (Parallel par = new Parallel(threads)) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] a = new float[m * k], b = new float[k * n], bias = new float[n], y = new float[m * n];
                for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
                for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
                long sg = Long.MAX_VALUE, lr = Long.MAX_VALUE, lrGelu = Long.MAX_VALUE;
                for (int it = 0; it < iters; it++) {
                    long t0 = System.nanoTime();
                    Sgemm.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, y, 0, n, par);
                    long t1 = System.nanoTime();
                    LinearRows.run(m, k, n, a, b, null, false, null, y, par);
                    long t2 = System.nanoTime();
                    LinearRows.run(m, k, n, a, b, bias, true, null, y, par);
                    long t3 = System.nanoTime();
                    sg = Math.min(sg, t1 - t0);
                    lr = Math.min(lr, t2 - t1);
                    lrGelu = Math.min(lrGelu, t3 - t2);
                }
                double flop = 2.0 * m * n * k;
                System.out.printf("M=%d K=%d N=%d: Sgemm %.0f GFLOP/s (%.3f ms), LinearRows %.0f GFLOP/s (%.3f ms), + bias+GELU %.3f ms%n",
                        m, k, n, flop / sg, sg / 1e6, flop / lr, lr / 1e6, lrGelu / 1e6);
            }
        }
    }
}
