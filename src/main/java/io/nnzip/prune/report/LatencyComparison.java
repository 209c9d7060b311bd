package io.nnzip.prune.report;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * ONNX Runtime latency of a model before and after a change, measured in alternation (A, B, A, B, ...) so that
 * load from other processes hits both alike; reports each side's median and minimum. On a busy machine the
 * minimum is the steadier estimate of what the model costs.
 */
public record LatencyComparison(double beforeMedianMs, double afterMedianMs, double beforeMinMs, double afterMinMs, int runs, int batch, int threads) {
    public static LatencyComparison measure(Model before, Model after, Map<String, Tensor> feeds, int threads, int runs) {
        try (OrtRunner a = new OrtRunner(before, threads); OrtRunner b = new OrtRunner(after, threads)) {
            for (int i = 0; i < 3; i++) {
                a.run(feeds);
                b.run(feeds);
            }
            double[] ta = new double[runs], tb = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                a.run(feeds);
                long t1 = System.nanoTime();
                b.run(feeds);
                long t2 = System.nanoTime();
                ta[i] = (t1 - t0) / 1e6;
                tb[i] = (t2 - t1) / 1e6;
            }
            Arrays.sort(ta);
            Arrays.sort(tb);
            return new LatencyComparison(ta[runs / 2], tb[runs / 2], ta[0], tb[0], runs, feeds.values().iterator().next().dim(0), threads);
        }
    }

    public double medianRatio() { return afterMedianMs / beforeMedianMs; }

    public double minRatio() { return afterMinMs / beforeMinMs; }
}
