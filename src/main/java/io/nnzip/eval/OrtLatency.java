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
        try (OrtRunner r = new OrtRunner(m, threads); OrtRunner.Prepared p = r.prepare(feeds)) {
            for (int i = 0; i < warmup; i++) p.run();
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) ms[i] = timed(p, threads);
            Arrays.sort(ms);
            return new Result(ms[runs / 2], ms[0], runs, threads);
        }
    }

    /** Sorted wall-clock times (ms) of two models timed alternately. */
    public record Pair(double[] aMs, double[] bMs) {
        public double aMedian() { return aMs[aMs.length / 2]; }

        public double bMedian() { return bMs[bMs.length / 2]; }

        public double aMin() { return aMs[0]; }

        public double bMin() { return bMs[0]; }
    }

    /**
     * Times two models alternately (A, B, A, B, ...) so that load from other processes hits both alike. ORT's intra-op
     * workers spin for a while after each run; with more than one thread the next timed run pauses first, so one
     * session's spinning workers never take cores from the other's run.
     */
    public static Pair alternate(Model a, Model b, Map<String, Tensor> feeds, int threads, int warmup, int runs) {
        try (OrtRunner ra = new OrtRunner(a, threads); OrtRunner rb = new OrtRunner(b, threads);
             OrtRunner.Prepared pa = ra.prepare(feeds); OrtRunner.Prepared pb = rb.prepare(feeds)) {
            for (int i = 0; i < warmup; i++) {
                pa.run();
                pb.run();
            }
            double[] ta = new double[runs], tb = new double[runs];
            for (int i = 0; i < runs; i++) {
                ta[i] = timed(pa, threads);
                tb[i] = timed(pb, threads);
            }
            Arrays.sort(ta);
            Arrays.sort(tb);
            return new Pair(ta, tb);
        }
    }

    static final long SETTLE_MS = 20;

    private static double timed(OrtRunner.Prepared r, int threads) {
        if (threads > 1) {
            try {
                Thread.sleep(SETTLE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Median latency with defaults sized for small models (3 warm-up, 15 timed runs). */
    public static Result measure(Model m, Map<String, Tensor> feeds, int threads) { return measure(m, feeds, threads, 3, 15); }
}
