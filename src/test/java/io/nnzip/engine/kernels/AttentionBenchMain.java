package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@link AttentionCore} with four query rows per loaded kᵀ/v vector against one row at a time, alternated in one JVM
 * (the ViT fixtures' shape by default: batch 256, 16 tokens, 4 heads of 16). Args: THREADS ROUNDS [B N H D].
 * Prints best times, their ratio, the median of per-round ratios and the largest output difference.
 */
public final class AttentionBenchMain {
    public static void main(String[] a) {
        int threads = Integer.parseInt(a[0]), rounds = Integer.parseInt(a[1]);
        int b = a.length > 2 ? Integer.parseInt(a[2]) : 256, n = a.length > 3 ? Integer.parseInt(a[3]) : 16;
        int h = a.length > 4 ? Integer.parseInt(a[4]) : 4, d = a.length > 5 ? Integer.parseInt(a[5]) : 16;
        Parallel par = new Parallel(threads);
        Random r = new Random(1);
        float[] qkv = new float[b * n * 3 * h * d];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        float[] one = new float[b * n * h * d], four = new float[one.length];
        double bestOne = Double.MAX_VALUE, bestFour = Double.MAX_VALUE;
        List<Double> ratios = new ArrayList<>();
        for (int it = 0; it < rounds; it++) {
            long t0 = System.nanoTime();
            AttentionCore.run(qkv, one, b, n, h, d, 0.25f, null, par, false);
            long t1 = System.nanoTime();
            AttentionCore.run(qkv, four, b, n, h, d, 0.25f, null, par, true);
            long t2 = System.nanoTime();
            bestOne = Math.min(bestOne, (t1 - t0) / 1e6);
            bestFour = Math.min(bestFour, (t2 - t1) / 1e6);
            if (it >= rounds / 4) ratios.add((double) (t2 - t1) / (t1 - t0));
        }
        float diff = 0;
        for (int i = 0; i < one.length; i++) diff = Math.max(diff, Math.abs(one[i] - four[i]));
        Collections.sort(ratios);
        System.out.printf("B=%d N=%d H=%d D=%d threads=%d: one row %.3f ms, four rows %.3f ms (best), ratio %.2f, median per-round ratio %.2f, max |diff| %g%n",
                b, n, h, d, threads, bestOne, bestFour, bestFour / bestOne, ratios.get(ratios.size() / 2), diff);
        par.close();
    }
}
