package io.nnzip.spark;

import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.SensitivitySpec;
import io.nnzip.prune.Sensitivity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
    // per executor JVM: the prepared sweep, keyed by the broadcast's id (one entry per running sweep)
    private static final Map<Long, Sensitivity.Prepared> PREPARED = new ConcurrentHashMap<>();

    private SensitivitySweep() {}

    static ScaleOut.Sweep run(JavaSparkContext sc, SensitivitySpec spec, Consumer<String> log) {
        int groups = spec.groupCount();
        if (groups == 0) return new ScaleOut.Sweep(spec.prepare().scan(List.of()), List.of(), Map.of("master", sc.master(), "tasks", 0));
        List<Double> amounts = spec.amounts();
        int per = amounts.size(), points = groups * per;
        Broadcast<SensitivitySpec> b = sc.broadcast(spec);
        long id = b.id();
        // point k is row k / per at amount k % per; one partition each, scheduled in this order
        List<Integer> idx = IntStream.range(0, points).boxed().toList();
        List<Tuple2<Integer, Tuple2<Sensitivity.Scan, String>>> got;
        long t0 = System.nanoTime();
        try {
            got = sc.parallelize(idx, Math.max(1, points)).map(k -> {
                // a task owns spark.task.cpus cores (1 by default), so its evaluations use that many threads
                int cpus = org.apache.spark.TaskContext.get() == null ? 1 : org.apache.spark.TaskContext.get().cpus();
                Sensitivity.Prepared p = PREPARED.computeIfAbsent(id, x -> b.value().prepare(cpus));
                int row = k / per;
                Sensitivity.Point pt = p.point(row, p.amounts().get(k % per));
                return new Tuple2<>(k, new Tuple2<>(p.scan(List.of(p.row(row, List.of(pt)))), SparkContexts.where()));
            }).collect();
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            throw SparkContexts.explain(e);
        } finally {
            sc.parallelize(List.of(0), 1).foreach(x -> PREPARED.remove(id));
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
                Tuple2<Integer, Tuple2<Sensitivity.Scan, String>> t = got.get(r * per + j);
                Sensitivity.Row one = t._2()._1().rows().getFirst();
                if (first == null) first = one;
                pts.add(one.points().getFirst());
                at.add(t._2()._2() + " for " + amounts.get(j));
            }
            rows.add(new Sensitivity.Row(first.group(), first.label(), first.channels(), List.copyOf(pts)));
            where.add(String.join("; ", at));
        }
        Sensitivity.Scan first = got.getFirst()._2()._1();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("master", sc.master());
        info.put("tasks", points);
        info.put("sweep_seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
        log.accept("sensitivity: " + groups + " rows x " + per + " amounts as " + points + " Spark tasks on " + sc.master());
        return new ScaleOut.Sweep(new Sensitivity.Scan(first.scoreName(), first.baseline(), first.macs(), rows), where, info);
    }
}
