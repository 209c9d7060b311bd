package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;

/**
 * Dense-path microbenchmarks in one JVM, timed by calling-thread CPU time (steady on a loaded machine):
 * <ul>
 *   <li>{@code peak}: 16 independent register FMA chains, the machine's FMA throughput in GFLOPS as Java reaches it;</li>
 *   <li>{@code kernel}: {@link MicroKernel#kernel} on L1-resident operands (depth KC) as a fraction of that peak;</li>
 *   <li>{@code conv}: the benchmark CNN's three convs (bias + ReLU + 2×2 max-pool fused) at batch N, one thread.</li>
 * </ul>
 * <pre>java ... io.nnzip.engine.kernels.DenseBenchMain peak|kernel|conv|all [batch=256] [rounds=7]</pre>
 */
public final class DenseBenchMain {
    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "all";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 256, rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        System.out.println(CpuInfo.describe());
        double peak = 0;
        if (what.equals("peak") || what.equals("kernel") || what.equals("all")) {
            peak = best(rounds, () -> peakLoop(2_000_000)) ;
            peak = 2.0 * 16 * 16 * 2_000_000 / peak / 1e6;
            System.out.printf("peak  %.1f GFLOPS (register FMAs, 16 chains)%n", peak);
        }
        if (what.equals("kernel") || what.equals("all")) {
            for (int kc : new int[] {96, 128, 192, 256}) {
                float[] ap = random(8 * 8 * kc), bp = random(32 * kc), c = new float[64 * 32];
                int reps = 4000;
                double ms = best(rounds, () -> {
                    for (int r = 0; r < reps; r++)
                        for (int ir = 0; ir < 8; ir++) MicroKernel.kernel(kc, ap, ir * 8 * kc, bp, 0, c, ir * 8 * 32, 32, r > 0);
                });
                double gf = 2.0 * reps * 8 * 8 * 32 * kc / ms / 1e6;
                System.out.printf("kernel kc=%d  %.1f GFLOPS = %.2f of peak%n", kc, gf, gf / peak);
            }
        }
        if (what.equals("parts") || what.equals("all")) {
            int[][] shapes = {{32, 14, 64}, {64, 7, 128}};
            for (int[] s : shapes) {
                int nb = 4;
                ConvGeometry g = new ConvGeometry(batch, s[0], s[1], s[1], s[2], 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
                float[] x = random(batch * s[0] * s[1] * s[1]), w = random(s[2] * s[0] * 9);
                PackedWeights pw = PackedWeights.pack(w, 0, g.colRows(), g.k(), g.colRows());
                int pq = g.p() * g.q(), ld = GemmBlocked.roundUp(nb * pq, MicroKernel.NR), slivers = ld / MicroKernel.NR;
                float[] buf = new float[g.colRows() * MicroKernel.NR], out = new float[pw.paddedRows() * ld];
                double unfold = best(rounds, () -> {
                    for (int img = 0; img + nb <= batch; img += nb)
                        for (int sl = 0; sl < slivers; sl++) Im2ColPanel.unfoldSliver(g, x, img, nb, 0, sl, buf);
                });
                double mult = best(rounds, () -> {
                    for (int img = 0; img + nb <= batch; img += nb)
                        for (int sl = 0; sl < slivers; sl++) pw.multiplySliver(buf, out, sl * MicroKernel.NR, ld);
                });
                System.out.printf("parts C=%d H=%d K=%d  unfold %.3f ms  multiply %.3f ms (%.1f GFLOPS over padded columns)%n", s[0], s[1], s[2], unfold, mult,
                        2.0 * pw.paddedRows() * g.colRows() * ld * (batch / nb) / mult / 1e6);
            }
        }
        if (what.equals("chunk")) {
            int[][] shapes = {{32, 14, 64}, {64, 7, 128}};
            try (Parallel par = new Parallel(1)) {
                for (int[] s : shapes) {
                    ConvGeometry g = new ConvGeometry(batch, s[0], s[1], s[1], s[2], 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
                    float[] x = random(batch * s[0] * s[1] * s[1]), w = random(s[2] * s[0] * 9), b = random(s[2]);
                    Conv2d.Pool pool = new Conv2d.Pool(2, 2, 2, 2);
                    float[] y = new float[batch * s[2] * (s[1] / 2) * (s[1] / 2)];
                    for (int rep = 0; rep < 2; rep++)
                        for (int ch : new int[] {0, 8, 16}) {
                            LaneConv.chunkChannels = ch == 0 ? 0 : ch;
                            if (ch == 0) LaneConv.chunkChannels = 0;
                            double ms = best(rounds, () -> Conv2d.forward(g, x, w, b, y, true, pool, par));
                            System.out.printf("chunk C=%d K=%d channels=%s  %.3f ms%n", s[0], s[2], ch == 0 ? "auto(" + LaneConv.chunkDepth(g, (s[1] + 2) * (s[1] + 2)) / 9 + ")" : ch, ms);
                        }
                }
            }
        }
        if (what.equals("conv") || what.equals("all")) {
            int[][] shapes = {{1, 28, 32}, {32, 14, 64}, {64, 7, 128}};
            try (Parallel par = new Parallel(1)) {
                for (int[] s : shapes) {
                    ConvGeometry g = new ConvGeometry(batch, s[0], s[1], s[1], s[2], 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
                    float[] x = random(batch * s[0] * s[1] * s[1]), w = random(s[2] * s[0] * 9), b = random(s[2]);
                    Conv2d.Pool pool = new Conv2d.Pool(2, 2, 2, 2);
                    float[] y = new float[batch * s[2] * (s[1] / 2) * (s[1] / 2)];
                    float[] ref = null;
                    for (int side = 0; side < 2; side++) {
                        LaneConv.enabled = side == 1;
                        double ms = best(rounds, () -> Conv2d.forward(g, x, w, b, y, true, pool, par));
                        double diff = 0;
                        if (ref == null) ref = y.clone();
                        else for (int i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - ref[i]));
                        System.out.printf("conv C=%d H=%d K=%d %s %.3f ms  %.1f GFLOPS  maxdiff %.2g%n", s[0], s[1], s[2], side == 1 ? "lane" : "gemm", ms, 2.0 * g.macs() / ms / 1e6, diff);
                    }
                }
            }
        }
    }

    static float[] random(int n) {
        SplittableRandom r = new SplittableRandom(n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return v;
    }

    static volatile float sink;

    // 16 independent FMA chains of one vector each, `iters` rounds
    static void peakLoop(int iters) {
        var s = FloatVector.SPECIES_512;
        FloatVector a = FloatVector.broadcast(s, 0.999f), b = FloatVector.broadcast(s, 0.001f);
        FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        FloatVector c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int i = 0; i < iters; i++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
            c12 = c12.fma(a, b); c13 = c13.fma(a, b); c14 = c14.fma(a, b); c15 = c15.fma(a, b);
        }
        sink = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Best calling-thread CPU time of one call, in ms, after a warm-up of 2 s CPU. */
    static double best(int rounds, Runnable r) {
        var t = java.lang.management.ManagementFactory.getThreadMXBean();
        long w0 = t.getCurrentThreadCpuTime();
        while (t.getCurrentThreadCpuTime() - w0 < 2_000_000_000L) r.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            long c0 = t.getCurrentThreadCpuTime();
            r.run();
            best = Math.min(best, (t.getCurrentThreadCpuTime() - c0) / 1e6);
        }
        return best;
    }
}
