package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where a sparse 3×3 conv's time goes (pad 1, stride 1, fused ReLU + 2×2 max-pool, as in the 3-conv CNN), robust to a
 * loaded machine: the variants are timed per call, interleaved call by call, 10th percentiles and medians printed.
 * Dense is the engine's own choice with the sparse path off; "direct" is {@link SparseDirect} with its chosen images
 * per sweep and with 1 image; the 99.9 %-pruned call is what does not scale with the nonzeros (copy-in, epilogue, loop
 * overhead); "pooled in memory" turns off the 14-row register path ({@code SparseDirect.rowsInRegisters}) for the same calls. (Session 14's comparison with the previous kernel used a copy of it, kept in git history only.)
 * <pre>java ... io.nnzip.engine.kernels.SparseConvProfileMain C K H W [batch=256] [sparsity=0.9] [threads=1] [calls=300]</pre>
 */
public final class SparseConvProfileMain {
    public static void main(String[] args) {
        int c = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), h = Integer.parseInt(args[2]), w = Integer.parseInt(args[3]);
        int n = args.length > 4 ? Integer.parseInt(args[4]) : 256;
        double sparsity = args.length > 5 ? Double.parseDouble(args[5]) : 0.9;
        int threads = args.length > 6 ? Integer.parseInt(args[6]) : 1, calls = args.length > 7 ? Integer.parseInt(args[7]) : 300;
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        Conv2d.Pool pool = new Conv2d.Pool(2, 2, 2, 2);
        SplittableRandom r = new SplittableRandom(3);
        float[] wt = new float[k * c * 9], x = new float[n * c * h * w], bias = new float[k];
        for (int i = 0; i < wt.length; i++) wt[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        SparseBenchMain.prune(wt, sparsity);
        float[] w9 = wt.clone();
        SparseBenchMain.prune(w9, 0.999);
        SparseRows sp = SparseRows.of(wt, 0, k, c * 9), sp9 = SparseRows.of(w9, 0, k, c * 9);
        float[] y = new float[n * k * pool.out(g.p(), true) * pool.out(g.q(), false)];
        String[] names = {"dense (engine's choice)", "direct", "direct, 1 image", "direct 99.9% (fixed)", "direct, pooled in memory", "in memory 99.9% (fixed)"};
        double[][] t = new double[names.length][calls];
        try (Parallel par = new Parallel(threads)) {
            for (int call = -calls / 3; call < calls; call++) {
                long[] ts = new long[names.length + 1];
                ts[0] = System.nanoTime();
                SparseWeights.enabled = false;
                Conv2d.forward(g, x, wt, bias, y, true, pool, par);
                SparseWeights.enabled = true;
                ts[1] = System.nanoTime();
                SparseDirect.forward(g, sp, x, bias, y, true, pool, par);
                ts[2] = System.nanoTime();
                int saved = SparseDirect.imagesOverride;
                SparseDirect.imagesOverride = 1;
                SparseDirect.forward(g, sp, x, bias, y, true, pool, par);
                SparseDirect.imagesOverride = saved;
                ts[3] = System.nanoTime();
                SparseDirect.forward(g, sp9, x, bias, y, true, pool, par);
                ts[4] = System.nanoTime();
                SparseDirect.rowsInRegisters = false;
                SparseDirect.forward(g, sp, x, bias, y, true, pool, par);
                ts[5] = System.nanoTime();
                SparseDirect.forward(g, sp9, x, bias, y, true, pool, par);
                SparseDirect.rowsInRegisters = true;
                ts[6] = System.nanoTime();
                if (call >= 0) for (int i = 0; i < names.length; i++) t[i][call] = (ts[i + 1] - ts[i]) / 1e3;
            }
        }
        System.out.printf("conv %d->%d %dx%d 3x3 pad 1 + ReLU + 2x2 pool, batch %d, %.1f %% pruned (%d nonzeros), %d threads; per call p10 / p50 µs:%n", c, k, h, w,
                n, 100 * sparsity, sp.nonzeros(), threads);
        double[] p10 = new double[names.length];
        for (int i = 0; i < names.length; i++) {
            Arrays.sort(t[i]);
            p10[i] = t[i][calls / 10];
            System.out.printf("  %-28s %9.1f %9.1f   dense/this at p10 %.2fx, at p50 %.2fx%n", names[i], p10[i], t[i][calls / 2], p10[0] / p10[i],
                    t[0][calls / 2] / t[i][calls / 2]);
        }
    }
}
