package io.nnzip.search;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;

/**
 * Where a graph's ONNX Runtime latency sits: each coupled group pruned alone (the others kept whole) to each keep ratio,
 * its measured latency ratio to the original (one thread, thread CPU time, original and candidate alternated), with
 * the channels the group keeps. Not part of the tool.
 * <pre>
 * java ... io.nnzip.search.GroupLatencyMain MODEL.onnx BATCH RUNS ROUND_TO KEEP...
 * </pre>
 */
public final class GroupLatencyMain {
    public static void main(String[] a) {
        Model orig = OnnxReader.read(Path.of(a[0]));
        io.nnzip.engine.Canonical.apply(orig);
        int batch = Integer.parseInt(a[1]), runs = Integer.parseInt(a[2]), roundTo = Integer.parseInt(a[3]);
        Encoding enc = new Encoding(orig, "ratios", 0.05, roundTo);
        var feeds = io.nnzip.prune.dep.ValueProbe.randomFeeds(orig, batch, 7);
        try (LatencyTimer.Measured t = LatencyTimer.ort(orig, feeds, 1, runs, true)) {
            System.out.printf("original %.3f ms%n", t.originalMs(3 * runs));
            for (int i = 0; i < enc.groups.size(); i++) {
                StringBuilder line = new StringBuilder("group " + i + " (" + enc.groups.get(i).prunable().size() + " ch):");
                for (int k = 4; k < a.length; k++) {
                    double[] g = enc.full();
                    g[i] = Double.parseDouble(a[k]);
                    Model p = enc.prune(g).model();
                    line.append(String.format("  keep %s → %.3f", a[k], t.ratio(p, runs)));
                }
                System.out.println(line);
            }
            double[] g = enc.full();
            for (double u : new double[] {0.75, 0.5}) {
                java.util.Arrays.fill(g, u);
                System.out.printf("uniform %.2f → %.3f%n", u, t.ratio(enc.prune(g).model(), runs));
            }
        }
        System.out.printf("load average %.1f%n", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
