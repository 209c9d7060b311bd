package io.nnzip.dist;

import io.nnzip.ir.Model;
import io.nnzip.prune.Sensitivity;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where sweeps and data-parallel fine-tuning run when one process is not enough. The core only defines this
 * interface; the Apache Spark implementation lives in the separate nnzip-spark module (its jar carries ~230 MB of
 * dependencies the core must not pull in) and is found at run time by {@link ScaleOuts#require}.
 */
public interface ScaleOut {
    /** Short name for reports ("spark"). */
    String name();

    /** A sensitivity sweep whose points (a row at one amount) run as independent tasks; {@code where} has one entry per row, naming where each of its points ran. */
    record Sweep(Sensitivity.Scan scan, List<String> where, Map<String, Object> info) {}

    Sweep sensitivity(String master, SensitivitySpec spec, Consumer<String> log);

    /**
     * Data-parallel fine-tuning: the returned model carries the final weights; {@code info} holds what the JSON
     * report shows (exchange_ratio, bytes_per_step, rounds, where each worker ran); {@code trainSize}: images in the training split.
     */
    record Trained(Model model, float trainLoss, long steps, Map<String, Object> info) {}

    Trained train(String master, TrainSpec spec, int trainSize, Consumer<String> log);

    /** An independent point of a sweep: plain values in, a serializable result out, the same wherever it runs. */
    interface Job<R extends java.io.Serializable> extends java.io.Serializable {
        R run();
    }

    /** A job's result and where it was computed (host, executor, partition). */
    record Done<R>(R value, String where) {}

    /** Runs each job as one task (a failed task is retried from the same bytes); results in the jobs' order. */
    <R extends java.io.Serializable> List<Done<R>> runAll(String master, List<? extends Job<R>> jobs, Consumer<String> log);

    /** A value sent once to every process that runs jobs (a broadcast on Spark); jobs carry the handle, not the value. */
    interface Shared<T extends java.io.Serializable> extends java.io.Serializable {
        T get();
    }

    /**
     * An open connection to where jobs run, for searches whose next jobs depend on the last results: several rounds of
     * {@link #runAll} on one context, and values shared once for all rounds.
     */
    interface Cluster extends AutoCloseable {
        String master();

        /** Jobs that run at the same time. */
        int slots();

        <T extends java.io.Serializable> Shared<T> share(T value);

        /** As {@link ScaleOut#runAll}: one task per job, results in the jobs' order. */
        <R extends java.io.Serializable> List<Done<R>> runAll(List<? extends Job<R>> jobs);

        @Override
        void close();
    }

    Cluster open(String master, Consumer<String> log);
}
