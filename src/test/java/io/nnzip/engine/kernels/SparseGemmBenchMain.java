package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;

/**
 * One pruned linear layer, dense kernel (weights packed once and compared with their source per call, as the engine's
 * weight cache does) against the sparse
 * kernel (CSR looked up by content, as the engine does per call), alternating in one JVM; mean process CPU time per
 * call over INNER calls a round, a third of the rounds warming up, and the median over rounds of the wall time per call
 * (with two threads the process CPU time also counts the workers' spinning between chunks).
 * <pre>java ... io.nnzip.engine.kernels.SparseGemmBenchMain N K [batch=256] [sparsity=0.95] [threads=2] [rounds=30] [variants]</pre>
 * {@code variants}: a comma list of sparse-kernel variants timed interleaved after the dense kernel in every round,
 * each the vectors per batch block, {@code 4} or {@code 8}; default {@code 8} (the kernel's).
 */
public final class SparseGemmBenchMain {
    static final int INNER = 150;

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]);
        int m = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        double sparsity = args.length > 3 ? Double.parseDouble(args[3]) : 0.95;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2, rounds = args.length > 5 ? Integer.parseInt(args[5]) : 30;
        String[] variants = (args.length > 6 ? args[6] : "8").split(",");
        int nv = variants.length;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[n * k], x = new float[m * k], bias = new float[n], y = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        SparseBenchMain.prune(w, sparsity);
        PackedB packed = PackedB.pack(true, w, 0, k, k, n);
        float[] copy = w.clone();
        int warm = rounds / 3;
        double dense = 0, lookup = 0;
        double[] sparse = new double[nv];
        double[][] wall = new double[1 + nv][rounds];
        try (Parallel par = new Parallel(threads)) {
            for (int round = -warm; round < rounds; round++) {
                long t0 = BinaryConvBenchMain.cpu(), n0 = System.nanoTime();
                for (int i = 0; i < INNER; i++) {
                    // the engine's dense Gemm checks the weights against its packed copy's source on every call
                    if (!java.util.Arrays.equals(copy, w)) throw new AssertionError("weights moved");
                    for (int row = 0; row < m; row++) System.arraycopy(bias, 0, y, row * n, n);
                    packed.multiply(false, m, 1f, x, 0, k, y, 0, n, true, par);
                    for (int j = 0; j < y.length; j++) y[j] = Math.max(0f, y[j]);
                }
                long t1 = BinaryConvBenchMain.cpu(), n1 = System.nanoTime();
                long[] cs = new long[nv + 1], ns = new long[nv + 1];
                cs[0] = t1;
                ns[0] = n1;
                for (int v = 0; v < nv; v++) {
                    SparseGemm.vectors = Integer.parseInt(variants[v]);
                    for (int i = 0; i < INNER; i++) SparseGemm.multiply(SparseWeights.rows(w, 0, n, k), x, 0, k, m, 1f, bias, true, y, 0, n, false, par);
                    cs[v + 1] = BinaryConvBenchMain.cpu();
                    ns[v + 1] = System.nanoTime();
                }
                long t2 = cs[nv];
                for (int i = 0; i < INNER; i++) if (SparseWeights.rows(w, 0, n, k) == null) throw new AssertionError("dense");
                long t3 = BinaryConvBenchMain.cpu();
                if (round < 0) continue;
                wall[0][round] = (n1 - n0) / 1e6 / INNER;
                dense += (t1 - t0) / 1e6 / INNER / rounds;
                for (int v = 0; v < nv; v++) {
                    wall[1 + v][round] = (ns[v + 1] - ns[v]) / 1e6 / INNER;
                    sparse[v] += (cs[v + 1] - cs[v]) / 1e6 / INNER / rounds;
                }
                lookup += (t3 - t2) / 1e6 / INNER / rounds;
            }
        }
        double dw = SparseBenchMain.median(wall[0]);
        for (int v = 0; v < nv; v++) {
            double sw = SparseBenchMain.median(wall[1 + v]);
            System.out.printf("linear %d<-%d, batch %d, %.0f %% pruned, %d threads, variant %s: CPU dense %.3f ms, sparse %.3f ms (of which CSR lookup %.3f ms), %.2fx;"
                    + " wall dense %.3f ms, sparse %.3f ms, %.2fx%n", n, k, m, 100 * sparsity, threads, variants[v], dense, sparse[v], lookup, dense / sparse[v], dw, sw, dw / sw);
        }
    }
}
