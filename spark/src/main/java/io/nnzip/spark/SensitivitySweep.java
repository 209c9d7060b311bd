package io.nnzip.spark;

import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.SensitivitySpec;
import io.nnzip.prune.Sensitivity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The sensitivity sweep as Spark tasks: one task per point of the table (a layer group at one amount), so the points
 * spread evenly over the task slots (one task per row left the last wave of a 3-row sweep on one of 2 slots). Each
 * executor prepares the shared part (criteria scores, baseline) once per sweep and keeps it for the points it is
 * given; a retried task recomputes its point from the same bytes and seed, so the table is the single-process one.
 */
final class SensitivitySweep {
    // per executor JVM: the prepared sweep under its key. One slot: a new sweep replaces the last one, so nothing
    // needs a clean-up job (an executor JVM ends with its context; in local mode the driver clears it)
    private static final java.util.concurrent.atomic.AtomicReference<Slot> PREPARED = new java.util.concurrent.atomic.AtomicReference<>();

    private record Slot(String key, java.util.concurrent.CompletableFuture<Sensitivity.Prepared> prepared, double[] seconds) {
        Slot(String key) { this(key, new java.util.concurrent.CompletableFuture<>(), new double[1]); }

        /** Prepares, recording the seconds it took; an error reaches every task waiting on the slot. */
        void fill(SensitivitySpec spec, int cpus, int cores) {
            long t0 = System.nanoTime();
            try {
                prepared.complete(spec.prepare(cpus, Math.max(cpus, cores)));
            } catch (RuntimeException | Error e) {
                prepared.completeExceptionally(e);
                PREPARED.compareAndSet(this, null); // a retry prepares again
                throw e;
            }
            seconds[0] = (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * With a local master the executor is this JVM: the sweep's shared part can be prepared here while the context
     * starts (start-up keeps about one core busy, so the other one would wait). Tasks find it under {@code key}.
     */
    static java.util.function.DoubleSupplier prepareAhead(String key, SensitivitySpec spec, int cpus, int cores) {
        Slot mine = new Slot(key);
        PREPARED.set(mine);
        Thread.ofPlatform().daemon().name("nnzip-sensitivity-prepare").start(() -> {
            try {
                mine.fill(spec, cpus, cores);
            } catch (RuntimeException | Error e) {
                // reported by the tasks that wait for it
            }
        });
        return () -> mine.seconds()[0];
    }

    /** What one task sends back: its point's one-row scan, where it ran, and its seconds preparing (0 if it did not) and evaluating. */
    record Done(Sensitivity.Scan scan, String where, double prepareSeconds, double pointSeconds) implements java.io.Serializable {}

    private SensitivitySweep() {}

    /**
     * The prepared sweep {@code key}: the first task on this executor prepares it with all of the executor's cores
     * (the sweep's other tasks here wait for it, their cores idle otherwise), the rest reuse it.
     */
    private static Sensitivity.Prepared prepared(String key, Broadcast<SensitivitySpec> b, int cpus, double[] seconds) {
        Slot mine = new Slot(key);
        Slot s = PREPARED.updateAndGet(cur -> cur != null && cur.key().equals(key) ? cur : mine);
        if (s == mine) {
            mine.fill(b.value(), cpus, SparkContexts.executorCores());
            seconds[0] = mine.seconds()[0];
        }
        try {
            return s.prepared().join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
    }

    static ScaleOut.Sweep run(JavaSparkContext sc, SensitivitySpec spec, String key, Consumer<String> log) {
        int groups = spec.groupCount();
        if (groups == 0) return new ScaleOut.Sweep(spec.prepare().scan(List.of()), List.of(), Map.of("master", sc.master(), "tasks", 0));
        List<Double> amounts = spec.amounts();
        int per = amounts.size(), points = groups * per;
        long t0 = System.nanoTime();
        Broadcast<SensitivitySpec> b = sc.broadcast(spec);
        // point k is row k / per at amount k % per; one partition each, scheduled in this order
        List<Integer> idx = IntStream.range(0, points).boxed().toList();
        List<Tuple2<Integer, Done>> got;
        try {
            got = sc.parallelize(idx, Math.max(1, points)).map(k -> {
                // a task owns spark.task.cpus cores (1 by default), so its evaluations use that many threads
                int cpus = org.apache.spark.TaskContext.get() == null ? 1 : org.apache.spark.TaskContext.get().cpus();
                double[] prep = new double[1];
                Sensitivity.Prepared p = prepared(key, b, cpus, prep);
                long t1 = System.nanoTime();
                int row = k / per;
                Sensitivity.Point pt = p.point(row, p.amounts().get(k % per));
                Sensitivity.Scan one = p.scan(List.of(p.row(row, List.of(pt))));
                return new Tuple2<>(k, new Done(one, SparkContexts.where(), prep[0], (System.nanoTime() - t1) / 1e9));
            }).collect();
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            throw SparkContexts.explain(e);
        } finally {
            PREPARED.updateAndGet(cur -> cur != null && cur.key().equals(key) ? null : cur);
            b.destroy();
        }
        got = new ArrayList<>(got);
        got.sort(Comparator.comparing(Tuple2::_1));
        if (got.size() != points) throw new IllegalStateException("sensitivity on Spark: " + got.size() + " of " + points + " points came back");
        List<Sensitivity.Row> rows = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (int r = 0; r < groups; r++) {
            List<Sensitivity.Point> pts = new ArrayList<>();
            List<String> at = new ArrayList<>();
            Sensitivity.Row first = null;
            for (int j = 0; j < per; j++) {
                Done t = got.get(r * per + j)._2();
                Sensitivity.Row one = t.scan().rows().getFirst();
                if (first == null) first = one;
                pts.add(one.points().getFirst());
                at.add(t.where() + " for " + amounts.get(j));
            }
            rows.add(new Sensitivity.Row(first.group(), first.label(), first.channels(), List.copyOf(pts)));
            where.add(String.join("; ", at));
        }
        Sensitivity.Scan first = got.getFirst()._2().scan();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("master", sc.master());
        info.put("tasks", points);
        info.put("sweep_seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
        // inside the sweep: preparing (once per executor, summed) and the points' own evaluation (summed over tasks)
        info.put("prepare_seconds", round3(got.stream().mapToDouble(t -> t._2().prepareSeconds()).sum()));
        info.put("point_seconds", round3(got.stream().mapToDouble(t -> t._2().pointSeconds()).sum()));
        log.accept("sensitivity: " + groups + " rows x " + per + " amounts as " + points + " Spark tasks on " + sc.master());
        return new ScaleOut.Sweep(new Sensitivity.Scan(first.scoreName(), first.baseline(), first.macs(), rows), where, info);
    }

    private static double round3(double v) { return Math.round(v * 1e3) / 1e3; }
}
