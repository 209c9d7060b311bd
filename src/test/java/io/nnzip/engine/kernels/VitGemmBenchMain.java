package io.nnzip.engine.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The GEMM shapes of one ViT training step (batch 128 × 16 tokens, width 64): forward x·W, and the backward dX = dY·Wᵀ
 * and dW = xᵀ·dY, for the qkv, proj, fc1 and fc2 layers, one thread, timed in thread CPU time (steady under load).
 * <pre>java ... io.nnzip.engine.kernels.VitGemmBenchMain [ROUNDS]</pre>
 */
public final class VitGemmBenchMain {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 50, rows = 2048;
        int[][] layers = {{64, 192}, {64, 64}, {64, 128}, {128, 64}};
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        java.util.Random r = new java.util.Random(1);
        for (int[] l : layers) {
            int k = l[0], n = l[1];
            float[] x = rand(r, rows * k), w = rand(r, k * n), dy = rand(r, rows * n), y = new float[rows * n], dx = new float[rows * k], dw = new float[k * n];
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            for (int it = 0; it < rounds; it++) {
                long t0 = tm.getCurrentThreadCpuTime();
                Sgemm.gemm(false, false, rows, n, k, 1f, x, 0, k, w, 0, n, 0f, y, 0, n, null);
                long t1 = tm.getCurrentThreadCpuTime();
                Sgemm.gemm(false, true, rows, k, n, 1f, dy, 0, n, w, 0, n, 0f, dx, 0, k, null);
                long t2 = tm.getCurrentThreadCpuTime();
                Sgemm.gemm(true, false, k, n, rows, 1f, x, 0, k, dy, 0, n, 0f, dw, 0, n, null);
                long t3 = tm.getCurrentThreadCpuTime();
                best[0] = Math.min(best[0], (t1 - t0) / 1e6);
                best[1] = Math.min(best[1], (t2 - t1) / 1e6);
                best[2] = Math.min(best[2], (t3 - t2) / 1e6);
            }
            double macs = (double) rows * k * n;
            System.out.printf("K=%3d N=%3d  fwd %.3f ms (%.1f GMAC/s)  dX %.3f ms (%.1f)  dW %.3f ms (%.1f)%n", k, n, best[0], macs / best[0] / 1e6,
                    best[1], macs / best[1] / 1e6, best[2], macs / best[2] / 1e6);
        }
    }

    private static float[] rand(java.util.Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() - 0.5f;
        return a;
    }
}
