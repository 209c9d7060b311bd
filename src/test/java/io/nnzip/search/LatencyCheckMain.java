package io.nnzip.search;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;

/**
 * Re-measures, in a fresh process, the latency ratio of searched models to the original in ONNX Runtime (one thread),
 * by thread CPU time and by wall clock, in rounds that alternate the candidates, so a benchmark's "within 5 %" does not
 * rest on the search's own measurement. Not part of the tool.
 * <pre>
 * java ... io.nnzip.search.LatencyCheckMain ORIGINAL.onnx BATCH RUNS ROUNDS CANDIDATE.onnx...
 * </pre>
 */
public final class LatencyCheckMain {
    public static void main(String[] a) {
        Model orig = OnnxReader.read(Path.of(a[0]));
        io.nnzip.engine.Canonical.apply(orig);
        int batch = Integer.parseInt(a[1]), runs = Integer.parseInt(a[2]), rounds = Integer.parseInt(a[3]);
        var feeds = io.nnzip.prune.dep.ValueProbe.randomFeeds(orig, batch, 7);
        Model[] cands = new Model[a.length - 4];
        for (int i = 0; i < cands.length; i++) cands[i] = OnnxReader.read(Path.of(a[4 + i]));
        double[][] cpu = new double[cands.length][rounds], wall = new double[cands.length][rounds];
        try (LatencyTimer.Measured tc = LatencyTimer.ort(orig, feeds, 1, runs, true); LatencyTimer.Measured tw = LatencyTimer.ort(orig, feeds, 1, runs, false)) {
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < cands.length; k++) {
                    int i = r % 2 == 0 ? k : cands.length - 1 - k;
                    cpu[i][r] = tc.ratio(cands[i], runs);
                    wall[i][r] = tw.ratio(cands[i], runs);
                }
            }
        }
        System.out.printf("load average %.1f%n", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        for (int i = 0; i < cands.length; i++) {
            java.util.Arrays.sort(cpu[i]);
            java.util.Arrays.sort(wall[i]);
            System.out.printf("%s: cpu ratio median %.4f (rounds %s), wall ratio median %.4f (rounds %s)%n", a[4 + i],
                    cpu[i][rounds / 2], java.util.Arrays.toString(round(cpu[i])), wall[i][rounds / 2], java.util.Arrays.toString(round(wall[i])));
        }
    }

    private static double[] round(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.round(x[i] * 1000) / 1000.0;
        return y;
    }
}
