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

    /** A sensitivity sweep whose rows run as independent tasks; {@code where} has one entry per row. */
    record Sweep(Sensitivity.Scan scan, List<String> where, Map<String, Object> info) {}

    Sweep sensitivity(String master, SensitivitySpec spec, Consumer<String> log);

    /**
     * Data-parallel fine-tuning: the returned model carries the final weights; {@code info} holds what the JSON
     * report shows (exchange_ratio, bytes_per_step, rounds, where each worker ran); {@code trainSize}: images in the training split.
     */
    record Trained(Model model, float trainLoss, long steps, Map<String, Object> info) {}

    Trained train(String master, TrainSpec spec, int trainSize, Consumer<String> log);
}
