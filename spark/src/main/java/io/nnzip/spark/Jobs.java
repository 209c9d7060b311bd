package io.nnzip.spark;

import io.nnzip.dist.ScaleOut;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/** Independent sweep points as Spark tasks, one partition each, gathered back in order. */
final class Jobs {
    private Jobs() {}

    static <R extends Serializable> List<ScaleOut.Done<R>> run(JavaSparkContext sc, List<? extends ScaleOut.Job<R>> jobs, Consumer<String> log) {
        if (jobs.isEmpty()) return List.of();
        Broadcast<List<ScaleOut.Job<R>>> b = sc.broadcast(new ArrayList<>(jobs));
        List<Tuple2<Integer, Tuple2<R, String>>> got;
        try {
            got = new ArrayList<>(sc.parallelize(IntStream.range(0, jobs.size()).boxed().toList(), jobs.size())
                    .map(i -> new Tuple2<>(i, new Tuple2<>(b.value().get(i).run(), SparkContexts.where()))).collect());
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            throw SparkContexts.explain(e);
        } finally {
            b.destroy();
        }
        got.sort(Comparator.comparing(Tuple2::_1));
        log.accept(jobs.size() + " sweep points ran as Spark tasks on " + sc.master());
        return got.stream().map(t -> new ScaleOut.Done<>(t._2()._1(), t._2()._2())).toList();
    }
}
