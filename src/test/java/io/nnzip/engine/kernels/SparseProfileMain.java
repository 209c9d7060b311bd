package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where a sparse linear call's time goes, robust to a loaded machine: each step is timed per call, steps interleaved
 * call by call, and the 10th percentile of each is reported (a preempted call lands in the upper tail).
 * <pre>java ... io.nnzip.engine.kernels.SparseProfileMain N K [batch=256] [sparsity=0.95] [threads=1] [calls=3000]</pre>
 */
public final class SparseProfileMain {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]);
        int m = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        double sparsity = args.length > 3 ? Double.parseDouble(args[3]) : 0.95;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1, calls = args.length > 5 ? Integer.parseInt(args[5]) : 3000;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[n * k], x = new float[m * k], bias = new float[n], y = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        SparseBenchMain.prune(w, sparsity);
        PackedB packed = PackedB.pack(true, w, 0, k, k, n);
        SparseRows sp = SparseRows.of(w, 0, n, k);
        int blk = SparseGemm.vectors * 16;
        float[] xt = new float[k * blk];
        String[] names = {"dense (packed, bias, ReLU)", "sparse call", "input transpose only", "sparse 99.9% call", "sparse call, fresh output"};
        float[] w9 = w.clone();
        SparseBenchMain.prune(w9, 0.999);
        SparseRows sp9 = SparseRows.of(w9, 0, n, k);
        double[][] t = new double[names.length][calls];
        try (Parallel par = new Parallel(threads)) {
            for (int c = -calls / 3; c < calls; c++) {
                long t0 = System.nanoTime();
                for (int row = 0; row < m; row++) System.arraycopy(bias, 0, y, row * n, n);
                packed.multiply(false, m, 1f, x, 0, k, y, 0, n, true, par);
                for (int j = 0; j < y.length; j++) y[j] = Math.max(0f, y[j]);
                long t1 = System.nanoTime();
                SparseGemm.multiply(sp, x, 0, k, m, 1f, bias, true, y, 0, n, false, par);
                long t2 = System.nanoTime();
                for (int i0 = 0; i0 < m; i0 += blk) SparseGemm.transposeIn(x, i0 * k, k, Math.min(blk, m - i0), k, xt, blk);
                long t3 = System.nanoTime();
                SparseGemm.multiply(sp9, x, 0, k, m, 1f, bias, true, y, 0, n, false, par);
                long t4 = System.nanoTime();
                float[] fresh = new float[m * n];
                SparseGemm.multiply(sp, x, 0, k, m, 1f, bias, true, fresh, 0, n, false, par);
                long t5 = System.nanoTime();
                if (fresh[7] == 12345f) System.out.print("");
                if (c < 0) continue;
                t[4][c] = (t5 - t4) / 1e3;
                t[0][c] = (t1 - t0) / 1e3;
                t[1][c] = (t2 - t1) / 1e3;
                t[2][c] = (t3 - t2) / 1e3;
                t[3][c] = (t4 - t3) / 1e3;
            }
        }
        System.out.printf("linear %d<-%d batch %d, %.1f %% pruned (%d nonzeros), %d threads; per call p10 / p50 µs:%n", n, k, m, 100 * sparsity, sp.nonzeros(), threads);
        for (int i = 0; i < names.length; i++) {
            Arrays.sort(t[i]);
            System.out.printf("  %-28s %8.1f %8.1f%n", names[i], t[i][calls / 10], t[i][calls / 2]);
        }
        System.out.printf("  dense/sparse at p10: %.2fx%n", t[0][calls / 10] / t[1][calls / 10]);
    }
}
