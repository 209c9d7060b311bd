package io.nnzip.prune.report;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Map;

/**
 * ONNX Runtime latency of a model before and after a change, measured in alternation (A, B, A, B, ...) so that
 * load from other processes hits both alike: wall-clock median and minimum with the requested threads, and the
 * median CPU time of single-threaded sessions (ONNX Runtime then computes on the calling thread), which other
 * processes competing for the cores cannot inflate. On a busy machine the CPU time is the figure to trust.
 */
public record LatencyComparison(double beforeMedianMs, double afterMedianMs, double beforeMinMs, double afterMinMs,
                                double beforeCpuMs, double afterCpuMs, int runs, int batch, int threads) {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static LatencyComparison measure(Model before, Model after, Map<String, Tensor> feeds, int threads, int runs) {
        double[] wall = wall(before, after, feeds, threads, runs), cpu = cpu(before, after, feeds, runs);
        return new LatencyComparison(wall[0], wall[1], wall[2], wall[3], cpu[0], cpu[1], runs, feeds.values().iterator().next().dim(0), threads);
    }

    private static double[] cpu(Model before, Model after, Map<String, Tensor> feeds, int runs) {
        try (OrtRunner ra = new OrtRunner(before, 1); OrtRunner rb = new OrtRunner(after, 1);
             OrtRunner.Prepared a = ra.prepare(feeds); OrtRunner.Prepared b = rb.prepare(feeds)) {
            a.run();
            b.run();
            double[] ta = new double[runs], tb = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = CPU.getCurrentThreadCpuTime();
                a.run();
                long t1 = CPU.getCurrentThreadCpuTime();
                b.run();
                long t2 = CPU.getCurrentThreadCpuTime();
                ta[i] = (t1 - t0) / 1e6;
                tb[i] = (t2 - t1) / 1e6;
            }
            Arrays.sort(ta);
            Arrays.sort(tb);
            return new double[] {ta[runs / 2], tb[runs / 2]};
        }
    }

    private static double[] wall(Model before, Model after, Map<String, Tensor> feeds, int threads, int runs) {
        io.nnzip.eval.OrtLatency.Pair p = io.nnzip.eval.OrtLatency.alternate(before, after, feeds, threads, 3, runs);
        return new double[] {p.aMedian(), p.bMedian(), p.aMin(), p.bMin()};
    }

    public double medianRatio() { return afterMedianMs / beforeMedianMs; }

    public double minRatio() { return afterMinMs / beforeMinMs; }

    public double cpuRatio() { return afterCpuMs / beforeCpuMs; }
}
