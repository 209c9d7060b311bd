package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;

/**
 * The binarized 3-conv CNN's layer shapes (conv2 32→64 at 14², conv3 64→128 at 7², fc1 1152→256) through our
 * float kernel ({@link Conv2d}, fused ReLU + max-pool) and the bit kernel ({@link BinaryConv}: bits in, ReLU + OR
 * max-pool + threshold into bits out), same run, same threads; prints the ratio.
 * Each rep times {@link #INNER} calls of each kernel; the first third of the reps is warm-up.
 * <pre>java ... io.nnzip.engine.kernels.BinaryConvBenchMain [batch=256] [threads=2] [reps=20]</pre>
 */
public final class BinaryConvBenchMain {
    /** Process CPU time: on a machine shared with other jobs, wall time measures the neighbours as much as the kernel. */
    static long cpu() { return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(); }

    static final int INNER = 5;

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256, threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        // c, k, input side, kernel, pad, pooled (the float model fuses ReLU + 2×2 max-pool into conv2/conv3)
        int[][] layers = {{32, 64, 14, 3, 1, 1}, {64, 128, 7, 3, 1, 1}, {128, 256, 3, 3, 0, 0}};
        String[] names = {"conv2 32->64 3x3 @14x14", "conv3 64->128 3x3 @7x7", "fc1 1152->256"};
        try (Parallel par = new Parallel(threads)) {
            for (int li = 0; li < layers.length; li++) {
                int c = layers[li][0], k = layers[li][1], hw = layers[li][2], r = layers[li][3], pad = layers[li][4];
                Conv2d.Pool pool = layers[li][5] == 1 ? new Conv2d.Pool(2, 2, 2, 2) : null;
                ConvGeometry g = new ConvGeometry(batch, c, hw, hw, k, 1, r, r, 1, 1, pad, pad, pad, pad, 1, 1);
                // the float model runs fc1 as a GEMM over the flattened features: a 1×1 conv of (N, 1152, 1, 1)
                ConvGeometry gf = li == 2 ? new ConvGeometry(batch, c * hw * hw, 1, 1, k, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1) : g;
                SplittableRandom rnd = new SplittableRandom(li);
                float[] x = new float[batch * c * hw * hw], w = new float[k * c * r * r], b = new float[k];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = rnd.nextBoolean() ? 0.1f : -0.1f;
                float[] y = new float[batch * k * g.p() * g.q()];
                BinaryConv.Weights pw = BinaryConv.pack(w, k, c, r, r, b);
                // the bit layer as the binarized model runs it: packed bits in (written by the previous layer's
                // epilogue), packed bits out after ReLU and the OR max-pool (floats out for fc1, the last bit layer)
                int[] bits = BinaryConv.packInput(x, 0f, batch, c, hw * hw, par);
                int pp = pool == null ? g.p() : pool.out(g.p(), true);
                BinaryConv.Epilogue ep = li == 2 ? BinaryConv.Epilogue.floats(true, null) : new BinaryConv.Epilogue(true, pool, true, 0.05f);
                int warm = Math.max(3, reps / 3);
                double tf = 0, t01 = 0, tpm = 0;
                int[] yb = ep.bits() ? new int[batch * pp * pp * BinaryConv.words(k)] : null;
                // INNER calls between clock reads: the process CPU clock ticks in 10 ms steps on this machine
                for (int rep = 0; rep < reps; rep++) {
                    long t0 = cpu();
                    for (int i = 0; i < INNER; i++) Conv2d.forward(gf, x, w, b, y, true, pool, par);
                    long t1 = cpu();
                    for (int i = 0; i < INNER; i++) BinaryConv.run(g, bits, false, pw, ep, y, yb, par);
                    long t2 = cpu();
                    for (int i = 0; i < INNER; i++) BinaryConv.run(g, bits, true, pw, ep, y, yb, par);
                    long t3 = cpu();
                    if (rep < warm) continue; // warm-up: under load C2 reaches the vector kernels late
                    tf += (t1 - t0) / 1e6 / INNER / (reps - warm);
                    t01 += (t2 - t1) / 1e6 / INNER / (reps - warm);
                    tpm += (t3 - t2) / 1e6 / INNER / (reps - warm);
                }
                System.out.printf("%-26s batch %d, %d threads, mean process CPU time: float %.2f ms, binary{0,1} %.2f ms (%.1fx), binary±1 %.2f ms (%.1fx)%n",
                        names[li], batch, threads, tf, t01, tf / t01, tpm, tf / tpm);
            }
        }
    }
}
