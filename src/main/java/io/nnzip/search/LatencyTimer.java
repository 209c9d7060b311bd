package io.nnzip.search;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.Map;

/** A candidate graph's latency over the original's, as measured (or, in tests, as a fake device reports it). */
@FunctionalInterface
interface LatencyTimer {
    /** Latency ratio of {@code candidate} to the original, from {@code runs} timed runs of each. */
    double ratio(Model candidate, int runs);

    /** With the timer's default number of runs. */
    default double ratio(Model candidate) { return ratio(candidate, 0); }

    /**
     * ONNX Runtime on this machine: the original and the candidate run in alternation, each pair in alternating order
     * (O C, C O, O C, ...) so that load from other processes and the order hit both alike, and the ratio is the median
     * of the per-pair ratios (a pair is measured within a few milliseconds, so a change of load between pairs cancels).
     * {@code defaultRuns}: pairs when {@link #ratio(Model)} is asked without a count.
     */
    static Measured ort(Model original, Map<String, Tensor> feeds, int threads, int defaultRuns) {
        return new Measured(original, feeds, threads, defaultRuns, false);
    }

    /**
     * As {@link #ort(Model, Map, int, int)}; {@code cpu}: each run timed by the calling thread's CPU time instead of the
     * wall clock (single-threaded sessions only: ONNX Runtime then computes on the calling thread), which other
     * processes competing for the cores cannot inflate by preempting the run.
     */
    static Measured ort(Model original, Map<String, Tensor> feeds, int threads, int defaultRuns, boolean cpu) {
        return new Measured(original, feeds, threads, defaultRuns, cpu);
    }

    final class Measured implements LatencyTimer, AutoCloseable {
        private final OrtRunner orig;
        private final OrtRunner.Prepared origRun;
        private final Map<String, Tensor> feeds;
        private final int threads, defaultRuns;
        private final boolean cpu;
        private int measurements;
        private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

        Measured(Model original, Map<String, Tensor> feeds, int threads, int defaultRuns, boolean cpu) {
            if (cpu && threads != 1) throw new io.nnzip.ir.NnzipException("--latency-clock cpu needs --threads 1 (ONNX Runtime then computes on the calling thread), not " + threads);
            this.cpu = cpu;
            this.orig = new OrtRunner(original, threads);
            this.origRun = orig.prepare(feeds);
            this.feeds = feeds;
            this.threads = threads;
            this.defaultRuns = defaultRuns;
        }

        @Override
        public double ratio(Model candidate, int runs) {
            int n = runs > 0 ? runs : defaultRuns;
            measurements++;
            try (OrtRunner rc = new OrtRunner(candidate, threads); OrtRunner.Prepared c = rc.prepare(feeds)) {
                // warm-up: the candidate's session is new (allocations, first-touch pages) while the original's has run before
                for (int i = 0; i < Math.max(5, n / 4); i++) {
                    origRun.run();
                    c.run();
                }
                double[] r = new double[n];
                for (int i = 0; i < n; i++) {
                    double a, b;
                    if (i % 2 == 0) {
                        a = timed(origRun);
                        b = timed(c);
                    } else {
                        b = timed(c);
                        a = timed(origRun);
                    }
                    r[i] = b / a;
                }
                Arrays.sort(r);
                return n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
            }
        }

        /** The original's median latency in ms over {@code runs} runs (for a target in milliseconds). */
        double originalMs(int runs) {
            for (int i = 0; i < 3; i++) origRun.run();
            double[] t = new double[runs];
            for (int i = 0; i < runs; i++) t[i] = timed(origRun);
            Arrays.sort(t);
            return t[runs / 2];
        }

        int measurements() { return measurements; }

        int batch() { return feeds.values().iterator().next().dim(0); }

        private double timed(OrtRunner.Prepared p) {
            if (cpu) {
                long c0 = CPU.getCurrentThreadCpuTime();
                p.run();
                return (CPU.getCurrentThreadCpuTime() - c0) / 1e6;
            }
            if (threads > 1) {
                // ORT's intra-op workers spin after a run; let them stop before the other session runs
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            long t0 = System.nanoTime();
            p.run();
            return (System.nanoTime() - t0) / 1e6;
        }

        @Override
        public void close() {
            origRun.close();
            orig.close();
        }
    }
}
