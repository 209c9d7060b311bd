package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;

/**
 * The binarized 3-conv CNN's layer shapes (conv2 32→64 at 14², conv3 64→128 at 7², fc1 1152→256) through our
 * float kernel ({@link Conv2d}) and the bit kernel ({@link BinaryConv}), same run, same threads; prints the ratio.
 * <pre>java ... io.nnzip.engine.kernels.BinaryConvBenchMain [batch=256] [threads=2] [reps=20]</pre>
 */
public final class BinaryConvBenchMain {
    /** Process CPU time: on a machine shared with other jobs, wall time measures the neighbours as much as the kernel. */
    static long cpu() { return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime(); }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256, threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int[][] layers = {{32, 64, 14, 3, 1}, {64, 128, 7, 3, 1}, {1152, 256, 1, 1, 0}};
        String[] names = {"conv2 32->64 3x3 @14x14", "conv3 64->128 3x3 @7x7", "fc1 1152->256"};
        try (Parallel par = new Parallel(threads)) {
            for (int li = 0; li < layers.length; li++) {
                int c = layers[li][0], k = layers[li][1], hw = layers[li][2], r = layers[li][3], pad = layers[li][4];
                ConvGeometry g = new ConvGeometry(batch, c, hw, hw, k, 1, r, r, 1, 1, pad, pad, pad, pad, 1, 1);
                SplittableRandom rnd = new SplittableRandom(li);
                float[] x = new float[batch * c * hw * hw], w = new float[k * c * r * r], b = new float[k];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = rnd.nextBoolean() ? 0.1f : -0.1f;
                float[] y = new float[batch * k * g.p() * g.q()];
                BinaryConv.Weights pw = BinaryConv.pack(w, k, c, r, r, b);
                double tf = 0, t01 = 0, tpm = 0;
                for (int rep = 0; rep < reps; rep++) {
                    long t0 = cpu();
                    Conv2d.forward(g, x, w, b, y, true, par);
                    long t1 = cpu();
                    BinaryConv.forward(g, x, 0f, false, pw, y, true, par);
                    long t2 = cpu();
                    BinaryConv.forward(g, x, 0f, true, pw, y, true, par);
                    long t3 = cpu();
                    if (rep < 3) continue; // warm-up: JIT
                    tf += (t1 - t0) / 1e6 / (reps - 3);
                    t01 += (t2 - t1) / 1e6 / (reps - 3);
                    tpm += (t3 - t2) / 1e6 / (reps - 3);
                }
                System.out.printf("%-26s batch %d, %d threads, mean process CPU time: float %.2f ms, binary{0,1} %.2f ms (%.1fx), binary±1 %.2f ms (%.1fx)%n",
                        names[li], batch, threads, tf, t01, tf / t01, tpm, tf / tpm);
            }
        }
    }
}
