package io.nnzip.spark;

import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.SensitivitySpec;
import io.nnzip.dist.TrainSpec;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;

/** The Apache Spark implementation of {@link ScaleOut}, registered in META-INF/services. One context per call. */
public final class SparkScaleOut implements ScaleOut {
    @Override
    public String name() { return "spark"; }

    @Override
    public Sweep sensitivity(String master, SensitivitySpec spec, Consumer<String> log) {
        long t0 = System.nanoTime();
        try (JavaSparkContext sc = SparkContexts.start(master, 0)) {
            double startup = Math.round((System.nanoTime() - t0) / 1e6) / 1e3;
            Sweep s = SensitivitySweep.run(sc, spec, log);
            java.util.Map<String, Object> info = new java.util.LinkedHashMap<>(s.info());
            info.put("startup_seconds", startup);
            return new Sweep(s.scan(), s.where(), info);
        }
    }

    @Override
    public Trained train(String master, TrainSpec spec, int trainSize, Consumer<String> log) {
        try (JavaSparkContext sc = SparkContexts.start(master, spec.workers())) {
            return DataParallel.run(sc, spec, trainSize, log);
        }
    }

    @Override
    public <R extends java.io.Serializable> java.util.List<Done<R>> runAll(String master, java.util.List<? extends Job<R>> jobs, Consumer<String> log) {
        try (JavaSparkContext sc = SparkContexts.start(master, 0)) {
            return Jobs.run(sc, jobs, log);
        }
    }

    @Override
    public Cluster open(String master, Consumer<String> log) {
        return new SparkCluster(SparkContexts.start(master, 0), log);
    }
}
