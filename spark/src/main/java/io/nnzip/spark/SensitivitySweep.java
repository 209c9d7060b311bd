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
 * The sensitivity sweep as Spark tasks: one task per layer group (a row of the table). Each executor prepares the
 * shared part (criteria scores, baseline) once per sweep and keeps it for the rows it is given; a retried task
 * recomputes its row from the same bytes and seed, so the table is the single-process one.
 */
final class SensitivitySweep {
    // per executor JVM: the prepared sweep, keyed by the broadcast's id (one entry per running sweep)
    private static final Map<Long, Sensitivity.Prepared> PREPARED = new ConcurrentHashMap<>();

    private SensitivitySweep() {}

    static ScaleOut.Sweep run(JavaSparkContext sc, SensitivitySpec spec, Consumer<String> log) {
        int groups = spec.groupCount();
        if (groups == 0) return new ScaleOut.Sweep(spec.prepare().scan(List.of()), List.of(), Map.of("master", sc.master(), "tasks", 0));
        Broadcast<SensitivitySpec> b = sc.broadcast(spec);
        long id = b.id();
        List<Integer> idx = IntStream.range(0, groups).boxed().toList();
        List<Tuple2<Integer, Tuple2<Sensitivity.Scan, String>>> got;
        long t0 = System.nanoTime();
        try {
            got = sc.parallelize(idx, Math.max(1, groups)).map(i -> {
                Sensitivity.Prepared p = PREPARED.computeIfAbsent(id, k -> b.value().prepare());
                return new Tuple2<>(i, new Tuple2<>(p.scan(List.of(p.row(i))), SparkContexts.where()));
            }).collect();
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            throw SparkContexts.explain(e);
        } finally {
            sc.parallelize(List.of(0), 1).foreach(x -> PREPARED.remove(id));
            b.destroy();
        }
        got = new ArrayList<>(got);
        got.sort(Comparator.comparing(Tuple2::_1));
        List<Sensitivity.Row> rows = got.stream().map(t -> t._2()._1().rows().getFirst()).toList();
        List<String> where = got.stream().map(t -> t._2()._2()).toList();
        Sensitivity.Scan first = got.getFirst()._2()._1();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("master", sc.master());
        info.put("tasks", groups);
        info.put("sweep_seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
        log.accept("sensitivity: " + groups + " rows as Spark tasks on " + sc.master());
        return new ScaleOut.Sweep(new Sensitivity.Scan(first.scoreName(), first.baseline(), first.macs(), rows), where, info);
    }
}
