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
        // start-up: creating the context; teardown: what stopping it keeps the caller waiting (all three reported)
        String key = java.util.UUID.randomUUID().toString();
        String m = master == null || master.isBlank() ? SparkContexts.DEFAULT_MASTER : master.trim();
        boolean local = SparkContexts.inProcess(m);
        // in-process executors: prepare the sweep while the context starts
        java.util.function.DoubleSupplier ahead = local
                ? SensitivitySweep.prepareAhead(key, spec, Integer.getInteger("spark.task.cpus", 1), Math.max(1, SparkContexts.knownSlots(m))) : null;
        long t0 = System.nanoTime();
        JavaSparkContext sc = SparkContexts.start(m, 0);
        double startup = seconds(t0);
        Sweep s;
        double teardown;
        try {
            s = SensitivitySweep.run(sc, spec, key, log);
        } finally {
            long t1 = System.nanoTime();
            SparkContexts.stop(sc, local);
            teardown = seconds(t1);
        }
        java.util.Map<String, Object> info = new java.util.LinkedHashMap<>(s.info());
        info.put("startup_seconds", startup);
        if (ahead != null) info.put("prepared_during_startup_seconds", Math.round(ahead.getAsDouble() * 1e3) / 1e3);
        info.put("teardown_seconds", teardown);
        if (local) info.put("teardown", "in the background: an in-process context needs no orderly stop before the result");
        return new Sweep(s.scan(), s.where(), info);
    }

    private static double seconds(long since) { return Math.round((System.nanoTime() - since) / 1e6) / 1e3; }

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
