package io.nnzip.dist;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.ir.NnzipException;
import io.nnzip.train.Trainer;
import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Data-parallel fine-tuning as bytes and plain values: the model travels as ONNX bytes, each worker reads the
 * training split from its own path and keeps the shard {@code worker} of a seeded permutation, so shards are disjoint,
 * cover the split, and are the same on every retry.
 *
 * @param exchange   int8 (per-block scaled 8-bit), threshold (sparsified with error feedback) or float
 * @param localSteps optimizer steps each worker takes between exchanges (1: synchronous SGD; more: local SGD)
 * @param threads    compute threads per worker
 * @param schedule   learning-rate schedule over the whole run (constant, cosine, step)
 * @param zeros      weights (by initializer name; true = pruned) every copy keeps at zero
 * @param setup      hooks and extra state every copy builds around its Trainer (QAT), null for none
 */
public record TrainSpec(byte[] model, String data, int limit, float[] normMean, float[] normStd, int epochs, int batch, float lr,
                        String optimizer, float momentum, float weightDecay, long seed, int workers, String exchange, int localSteps,
                        int threads, String schedule, java.util.Map<String, boolean[]> zeros, WorkerSetup setup) implements Serializable {
    public static final java.util.List<String> EXCHANGES = java.util.List.of("int8", "threshold", "float");

    /** Constant learning rate, nothing held at zero. */
    public TrainSpec(byte[] model, String data, int limit, float[] normMean, float[] normStd, int epochs, int batch, float lr,
                     String optimizer, float momentum, float weightDecay, long seed, int workers, String exchange, int localSteps, int threads) {
        this(model, data, limit, normMean, normStd, epochs, batch, lr, optimizer, momentum, weightDecay, seed, workers, exchange, localSteps, threads,
                "constant", java.util.Map.of(), null);
    }

    /** No hooks: the plain Trainer. */
    public TrainSpec(byte[] model, String data, int limit, float[] normMean, float[] normStd, int epochs, int batch, float lr,
                     String optimizer, float momentum, float weightDecay, long seed, int workers, String exchange, int localSteps,
                     int threads, String schedule, java.util.Map<String, boolean[]> zeros) {
        this(model, data, limit, normMean, normStd, epochs, batch, lr, optimizer, momentum, weightDecay, seed, workers, exchange, localSteps, threads,
                schedule, zeros, null);
    }

    public TrainSpec {
        zeros = zeros == null ? java.util.Map.of() : new java.util.TreeMap<>(zeros);
        if (!EXCHANGES.contains(exchange)) throw new NnzipException("--exchange must be int8, threshold or float, got '" + exchange + "'");
        if (workers < 1) throw new NnzipException("--workers must be at least 1, got " + workers);
        if (localSteps < 1) throw new NnzipException("--local-steps must be at least 1, got " + localSteps);
    }

    public Normalization normalization() { return new Normalization(normMean, normStd); }

    /** The options each worker's Trainer runs with (one epoch of the schedule is driven by the exchange rounds). */
    public Trainer.Options options(int worker) {
        return new Trainer.Options().epochs(epochs).batchSize(batch).lr(lr).optimizer(optimizer).momentum(momentum)
                .weightDecay(weightDecay).seed(seed + 7919L * worker).threads(threads);
    }

    /** Worker {@code worker}'s share of the training split (read here, from this process's data path). */
    public Dataset shard(int worker) {
        Dataset all;
        try {
            all = Datasets.load(data, "train").head(limit);
        } catch (NnzipException e) {
            throw new NnzipException("worker " + worker + " on " + host() + ": " + e.getMessage());
        }
        int[] perm = io.nnzip.data.Shuffle.permutation(all.size(), new SplittableRandom(seed));
        int[] mine = new int[(all.size() - worker + workers - 1) / workers];
        for (int i = 0; i < mine.length; i++) mine[i] = perm[worker + i * workers];
        Arrays.sort(mine);
        return all.subset(mine, all.name() + " shard " + worker + "/" + workers);
    }

    /** Exchange rounds in one epoch of a {@code trainSize}-image split: every worker takes whole batches of its smallest shard. */
    public int roundsPerEpoch(int trainSize) {
        int steps = Math.max(1, (trainSize / workers) / batch);
        return (steps + localSteps - 1) / localSteps;
    }

    public static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
