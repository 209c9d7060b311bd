package io.nnzip.eval;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Steady-state latency of a model in ONNX Runtime: warm-up runs, then the median of timed runs. Used by every
 * before/after report, so "faster" is always measured the same way.
 */
public final class OrtLatency {
    public record Result(double medianMs, double minMs, int runs, int threads) {}

    private OrtLatency() {}

    public static Result measure(Model m, Map<String, Tensor> feeds, int threads, int warmup, int runs) {
        try (OrtRunner r = new OrtRunner(m, threads)) {
            for (int i = 0; i < warmup; i++) r.run(feeds);
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                r.run(feeds);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return new Result(ms[runs / 2], ms[0], runs, threads);
        }
    }

    /** Median latency with defaults sized for small models (3 warm-up, 15 timed runs). */
    public static Result measure(Model m, Map<String, Tensor> feeds, int threads) { return measure(m, feeds, threads, 3, 15); }
}
