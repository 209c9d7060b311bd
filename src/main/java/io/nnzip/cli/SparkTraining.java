package io.nnzip.cli;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.ScaleOuts;
import io.nnzip.dist.TrainSpec;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.train.Evaluator;
import io.nnzip.train.Trainer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Data-parallel training options ({@code --spark [MASTER] --workers N --exchange int8|threshold|float --local-steps K})
 * and the run they ask for. {@code --batch} stays the global batch: each of the N workers steps on batch/N images,
 * so one epoch takes as many optimizer steps as the single-process run.
 */
public final class SparkTraining {
    @Mixin
    SparkOptions spark;

    @Option(names = "--workers", defaultValue = "2", description = "Data-parallel workers under --spark, one Spark task each (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--exchange", defaultValue = "int8", description = "How workers exchange updates under --spark: int8, threshold or float (default ${DEFAULT-VALUE}).")
    String exchange;

    @Option(names = "--local-steps", defaultValue = "1", paramLabel = "K", description = "Optimizer steps each worker takes between exchanges under --spark (default ${DEFAULT-VALUE}).")
    int localSteps;

    public boolean enabled() { return spark.enabled(); }

    /** Trains {@code start} data-parallel; returns the trained model and the JSON fields the run adds. */
    Result run(Model start, Trainer.Options o, String data, int limit, Dataset train, Dataset val, Normalization norm, Integer threads, Consumer<String> note) {
        if (o.batchSize < workers) throw new NnzipException("--batch " + o.batchSize + " is smaller than --workers " + workers + " (each worker steps on batch/workers images)");
        int perWorkerThreads = threads != null && threads > 0 ? threads : Math.max(1, OptionRules.CORES / workers);
        TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(start), data, limit, norm.mean(), norm.std(), o.epochs, o.batchSize / workers, o.lr,
                o.optimizer, o.momentum, o.weightDecay, o.seed, workers, exchange, localSteps, perWorkerThreads, o.schedule, Map.of());
        ScaleOut out = ScaleOuts.require();
        note.accept("data-parallel on Spark " + spark.master + ": " + workers + " workers x batch " + spec.batch() + ", " + exchange + " exchange every " + localSteps + " step(s)");
        ScaleOut.Trained t = out.train(spark.master, spec, train.size(), note);
        float acc;
        try (Parallel par = new Parallel(threads != null && threads > 0 ? threads : OptionRules.CORES)) {
            acc = Evaluator.evaluate(Evaluator.engine(t.model(), par), val, norm, 256).accuracy();
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("exchange_ratio", t.info().get("exchange_ratio"));
        info.put("bytes_per_step", t.info().get("bytes_per_step"));
        info.put("spark", t.info());
        return new Result(t.model(), t.trainLoss(), acc, t.steps(), info);
    }

    /**
     * Fine-tuning of any pass (prune, factorize, recipes) sent to Spark workers: the request's epochs, learning rate,
     * optimizer, schedule and held-at-zero weights travel; each worker reads {@code data} itself. The global batch is
     * the Trainer's default, as in a pass's local fine-tuning. Null without {@code --spark} (fine-tuning stays here).
     */
    io.nnzip.pass.RemoteTraining remote(String data, int limit) { return remote(data, limit, new Trainer.Options().batchSize); }

    /** As {@link #remote(String, int)} with global batch {@code batch} (distill's --batch). */
    io.nnzip.pass.RemoteTraining remote(String data, int limit, int batch) {
        if (!enabled()) return null;
        if (batch < workers) throw new NnzipException("--batch " + batch + " is smaller than --workers " + workers + " (each worker steps on batch/workers images)");
        int perWorkerThreads = Math.max(1, OptionRules.CORES / workers);
        return (m, r, norm, trainSize, note) -> {
            Trainer.Options d = new Trainer.Options();
            TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(m), data, limit, norm.mean(), norm.std(), r.epochs(), batch / workers, r.lr(),
                    r.optimizer(), d.momentum, d.weightDecay, r.seed(), workers, exchange, localSteps, perWorkerThreads, r.schedule(), r.zeros(), r.worker());
            note.accept("fine-tuning data-parallel on Spark " + spark.master + ": " + workers + " workers x batch " + spec.batch() + ", " + exchange
                    + " exchange every " + localSteps + " step(s)");
            ScaleOut.Trained t = ScaleOuts.require().train(spark.master, spec, trainSize, note);
            note.accept("Spark fine-tuning: exchange ratio " + t.info().get("exchange_ratio") + " of float32, " + t.info().get("rounds") + " rounds");
            return new io.nnzip.pass.RemoteTraining.Result(t.model(), t.info());
        };
    }

    record Result(Model model, float trainLoss, float valAccuracy, long steps, Map<String, Object> info) {}

    /** Names of single-process options set away from their default, which the data-parallel run does not implement. */
    static void refuse(Map<String, Boolean> unsupported) {
        for (Map.Entry<String, Boolean> e : unsupported.entrySet())
            if (e.getValue()) throw new NnzipException("--spark training does not support " + e.getKey() + " yet (it supports --epochs --batch --lr --optimizer --momentum --weight-decay --schedule constant|cosine --seed --threads)");
    }
}
