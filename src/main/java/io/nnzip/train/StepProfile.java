package io.nnzip.train;

import io.nnzip.engine.autodiff.Tape;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where training time goes, for {@code train --profile}: wall and process CPU time per phase (every node's
 * forward and backward, "loss", "optimizer", "batch"), summed over all steps. CPU time counts every thread of the
 * process, so on an idle machine a phase that keeps both cores busy shows about twice its wall time; on a shared
 * machine it is the steadier of the two figures.
 */
public final class StepProfile implements Tape.Timer {
    private final Map<String, long[]> phases = new LinkedHashMap<>();
    private long wall0, cpu0;

    @Override
    public void begin() {
        wall0 = System.nanoTime();
        cpu0 = Trainer.processCpuNanos();
    }

    @Override
    public void end(String phase) {
        long[] p = phases.computeIfAbsent(phase, k -> new long[3]);
        p[0] += System.nanoTime() - wall0;
        p[1] += Trainer.processCpuNanos() - cpu0;
        p[2]++;
    }

    /** Phase → {wall ms, cpu ms, calls}, biggest wall time first. */
    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : sorted()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("wall_ms", Math.round(e.getValue()[0] / 1e5) / 10.0);
            row.put("cpu_ms", Math.round(e.getValue()[1] / 1e5) / 10.0);
            row.put("calls", e.getValue()[2]);
            m.put(e.getKey(), row);
        }
        return m;
    }

    public void print(PrintStream out) {
        long wall = 0, cpu = 0;
        for (long[] p : phases.values()) { wall += p[0]; cpu += p[1]; }
        out.printf("%-24s %10s %6s %10s %6s %7s%n", "phase", "wall ms", "wall%", "cpu ms", "cpu%", "calls");
        for (Map.Entry<String, long[]> e : sorted()) {
            long[] p = e.getValue();
            out.printf("%-24s %10.1f %5.1f%% %10.1f %5.1f%% %7d%n", e.getKey(), p[0] / 1e6, 100.0 * p[0] / Math.max(1, wall), p[1] / 1e6,
                    100.0 * p[1] / Math.max(1, cpu), p[2]);
        }
        out.printf("%-24s %10.1f %6s %10.1f%n", "total", wall / 1e6, "", cpu / 1e6);
    }

    private List<Map.Entry<String, long[]>> sorted() {
        List<Map.Entry<String, long[]>> l = new ArrayList<>(phases.entrySet());
        l.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        return l;
    }
}
