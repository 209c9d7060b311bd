package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.eval.bench.Timer;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * MEC against im2col on convs where im2col's matrix is the memory peak, in one run: per-image lowering buffer (floats,
 * from the layout), bytes the first call allocates on fresh threads (the lowering and product buffers, the packed
 * weights) and the steady per-call allocation, then interleaved wall and CPU time.
 * <pre>java ... MecBenchMain THREADS ROUNDS</pre>
 */
public final class MecBenchMain {
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]), rounds = Integer.parseInt(args[1]);
        // name, n, c, h, k, r, stride, pad
        Object[][] shapes = {{"resnet.stem 7x7/2", 1, 3, 224, 64, 7, 2, 3}, {"resnet.stem batch 4", 4, 3, 224, 64, 7, 2, 3},
                {"alexnet.conv1 11x11/4", 1, 3, 224, 64, 11, 4, 2}, {"5x5/2 c32 112", 1, 32, 112, 64, 5, 2, 2},
                {"3x3/2 c64 112", 1, 64, 112, 128, 3, 2, 1},
                // name, n, c, h, k, r, stride, pad, group, dilation: a grouped stem, a ResNeXt-style grouped strided conv, an atrous conv
                {"7x7/2 g2 c4 224", 1, 4, 224, 64, 7, 2, 3, 2, 1}, {"3x3/2 g8 c64 112", 1, 64, 112, 128, 3, 2, 1, 8, 1},
                {"3x3 d2 c32 112", 1, 32, 112, 32, 3, 1, 2, 1, 2}};
        for (Object[] s : shapes) {
            int n = (int) s[1], c = (int) s[2], h = (int) s[3], k = (int) s[4], r = (int) s[5], st = (int) s[6], pad = (int) s[7];
            int grp = s.length > 8 ? (int) s[8] : 1, dil = s.length > 9 ? (int) s[9] : 1;
            ConvGeometry g = new ConvGeometry(n, c, h, h, k, grp, r, r, st, st, pad, pad, pad, pad, dil, dil);
            SplittableRandom rnd = new SplittableRandom(3);
            float[] x = new float[n * c * h * h], w = new float[k * (c / grp) * r * r], b = new float[k];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-0.1, 0.1);
            float[] y1 = new float[n * k * g.p() * g.q()], y2 = new float[y1.length];
            long[] first = new long[2], steady = new long[2];
            double[] wall = new double[2], cpu = new double[2];
            Conv2d.Lowering[] low = {Conv2d.Lowering.IM2COL, Conv2d.Lowering.MEC};
            float[][] ys = {y1, y2};
            Timer.Result[] res;
            try (Parallel par = new Parallel(threads)) {
                Runnable im2col = () -> Conv2d.forward(g, x, w, b, y1, true, null, par, Conv2d.Lowering.IM2COL);
                Runnable mec = () -> Conv2d.forward(g, x, w, b, y2, true, null, par, Conv2d.Lowering.MEC);
                res = Timer.interleaved(new Runnable[] {im2col, mec}, 1500, rounds, 30);
                for (int a = 0; a < 2; a++) {
                    wall[a] = res[a].medianMs();
                    cpu[a] = median(res[a].cpuMs());
                }
            }
            double diff = 0;
            for (int i = 0; i < y1.length; i++) diff = Math.max(diff, Math.abs(y1[i] - y2[i]));
            // allocation, after the timing warmed every kernel up (an interpreted vector op allocates): each lowering on its own fresh team and calling thread, so every thread-local buffer is new
            for (int a = 0; a < 2; a++) {
                int ai = a;
                Thread t = new Thread(() -> {
                    try (Parallel par = new Parallel(threads)) {
                        long b0 = allocated();
                        Conv2d.forward(g, x, w, b, ys[ai], true, null, par, low[ai]);
                        long b1 = allocated();
                        Conv2d.forward(g, x, w, b, ys[ai], true, null, par, low[ai]);
                        long b2 = allocated();
                        first[ai] = b1 - b0;
                        steady[ai] = b2 - b1;
                    }
                });
                t.start();
                t.join();
            }
            System.out.printf("%-22s P=Q=%d  buffer floats/image im2col %,d  MEC %,d (%.2fx less)  engine picks %s%n", s[0], g.p(),
                    Mec.im2colFloats(g), Mec.loweredFloats(g), (double) Mec.im2colFloats(g) / Mec.loweredFloats(g), Mec.pays(g) ? "MEC" : "im2col");
            System.out.printf("  first call allocates im2col %,d B, MEC %,d B (%.2fx less); steady per call %,d / %,d B%n", first[0], first[1],
                    (double) first[0] / first[1], steady[0], steady[1]);
            System.out.printf("  median wall im2col %.3f ms, MEC %.3f ms -> MEC/im2col %.2fx (best %.3f / %.3f: %.2fx); CPU %.3f / %.3f ms -> %.2fx; max|diff| %.2e%n",
                    wall[0], wall[1], wall[1] / wall[0], res[0].bestMs(), res[1].bestMs(), res[1].bestMs() / res[0].bestMs(), cpu[0], cpu[1], cpu[1] / cpu[0], diff);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }
}
