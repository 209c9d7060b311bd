package io.nnzip.spark;

import io.nnzip.dist.ScaleOut;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** One Spark context held over several rounds of jobs; shared values are broadcasts, destroyed on close. */
final class SparkCluster implements ScaleOut.Cluster {
    private final JavaSparkContext sc;
    private final Consumer<String> log;
    private final List<Broadcast<?>> shared = new ArrayList<>();

    SparkCluster(JavaSparkContext sc, Consumer<String> log) {
        this.sc = sc;
        this.log = log;
    }

    /** A broadcast handle: tasks read it once per executor. */
    record Handle<T extends Serializable>(Broadcast<T> b) implements ScaleOut.Shared<T> {
        @Override
        public T get() { return b.value(); }
    }

    @Override
    public String master() { return sc.master(); }

    @Override
    public int slots() { return Math.max(1, sc.defaultParallelism()); }

    @Override
    public <T extends Serializable> ScaleOut.Shared<T> share(T value) {
        Broadcast<T> b = sc.broadcast(value);
        shared.add(b);
        return new Handle<>(b);
    }

    @Override
    public <R extends Serializable> List<ScaleOut.Done<R>> runAll(List<? extends ScaleOut.Job<R>> jobs) {
        return Jobs.run(sc, jobs, s -> {});
    }

    @Override
    public void close() {
        for (Broadcast<?> b : shared) b.destroy();
        sc.close();
        log.accept("Spark context on " + sc.master() + " stopped");
    }
}
