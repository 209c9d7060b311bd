package io.nnzip.prune.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Before/after comparison printed by every prune: size, cost, sparsity per layer, accuracy, latency. */
public final class PruneReport {
    private PruneReport() {}

    /** @param lat null when latency was not measured */
    public static Map<String, Object> toJson(Snapshot before, Snapshot after, LatencyComparison lat) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("before", before.toJson());
        r.put("after", after.toJson());
        r.put("mac_reduction", before.macs() == 0 ? 0 : 1 - (double) after.macs() / before.macs());
        r.put("param_reduction", before.params() == 0 ? 0 : 1 - (double) after.params() / before.params());
        if (lat != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("before_median_ms", lat.beforeMedianMs());
            l.put("after_median_ms", lat.afterMedianMs());
            l.put("before_min_ms", lat.beforeMinMs());
            l.put("after_min_ms", lat.afterMinMs());
            l.put("median_ratio", lat.medianRatio());
            l.put("before_cpu_ms", lat.beforeCpuMs());
            l.put("after_cpu_ms", lat.afterCpuMs());
            l.put("cpu_ratio", lat.cpuRatio());
            l.put("min_ratio", lat.minRatio());
            l.put("batch", lat.batch());
            l.put("threads", lat.threads());
            l.put("runs", lat.runs());
            r.put("ort_latency", l);
        }
        if (before.accuracy() != null && after.accuracy() != null) r.put("accuracy_drop_points", before.accuracy() - after.accuracy());
        List<Map<String, Object>> layers = new ArrayList<>();
        for (Map.Entry<String, Snapshot.Layer> e : after.layers().entrySet()) {
            Snapshot.Layer b = before.layers().get(e.getKey()), a = e.getValue();
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("weight", e.getKey());
            if (b != null) l.put("shape_before", b.shape());
            l.put("shape", a.shape());
            l.put("params", a.params());
            l.put("sparsity", a.sparsity());
            layers.add(l);
        }
        r.put("layers", layers);
        return r;
    }

    public static void print(Snapshot b, Snapshot a, LatencyComparison lat, PrintStream out) {
        out.printf("%-16s %16s %16s %9s%n", "", "before", "after", "change");
        row(out, "parameters", b.params(), a.params());
        row(out, "MACs (batch 1)", b.macs(), a.macs());
        row(out, "file bytes", b.fileBytes(), a.fileBytes());
        out.printf("%-16s %15.2f%% %15.2f%%%n", "sparsity", 100 * b.sparsity(), 100 * a.sparsity());
        if (b.accuracy() != null && a.accuracy() != null)
            out.printf("%-16s %15.2f%% %15.2f%% %+8.2f pt%n", "accuracy", b.accuracy(), a.accuracy(), a.accuracy() - b.accuracy());
        if (lat != null) {
            out.printf("%-16s %14.3fms %14.3fms %8.2fx  (ORT median of %d alternated runs, batch %d, %d threads)%n", "latency",
                    lat.beforeMedianMs(), lat.afterMedianMs(), lat.medianRatio(), lat.runs(), lat.batch(), lat.threads());
            out.printf("%-16s %14.3fms %14.3fms %8.2fx%n", "latency (min)", lat.beforeMinMs(), lat.afterMinMs(), lat.minRatio());
            out.printf("%-16s %14.3fms %14.3fms %8.2fx  (CPU time per run, 1 thread)%n", "cpu time", lat.beforeCpuMs(), lat.afterCpuMs(), lat.cpuRatio());
        }
        out.println("per layer:");
        for (Map.Entry<String, Snapshot.Layer> e : a.layers().entrySet()) {
            Snapshot.Layer bl = b.layers().get(e.getKey()), al = e.getValue();
            String shape = bl == null || java.util.Arrays.equals(bl.shape(), al.shape()) ? java.util.Arrays.toString(al.shape())
                    : java.util.Arrays.toString(bl.shape()) + " -> " + java.util.Arrays.toString(al.shape());
            out.printf("  %-34s %-34s %6.1f%% zeros%n", e.getKey(), shape, 100 * al.sparsity());
        }
    }

    private static void row(PrintStream out, String what, long b, long a) {
        out.printf("%-16s %,16d %,16d %8.2fx%n", what, b, a, b == 0 ? 1.0 : (double) a / b);
    }
}
