package io.nnzip.pass;

import io.nnzip.data.DataSplits;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.train.Progress;
import io.nnzip.train.StepHook;
import io.nnzip.train.TrainListener;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a pass runs with besides its config: the data (training, validation and calibration splits held in memory,
 * and their normalization), ONNX Runtime / engine threads, a seed for what the config does not seed itself, where
 * notes and training progress go, the fine-tuning service, and the canonicalization every pass applies to its input
 * before it analyses the graph. Build one with {@link #builder()}; it is immutable and may serve many passes.
 */
public final class PassContext {
    private final DataSplits data;
    private final int threads;
    private final long seed;
    private final Consumer<String> log;
    private final TrainListener progress;
    private final RemoteTraining remote;
    private final List<Supplier<StepHook>> trainingHooks;

    private PassContext(Builder b) {
        data = b.data;
        threads = b.threads;
        seed = b.seed;
        log = b.log;
        progress = b.progress;
        remote = b.remote;
        trainingHooks = List.copyOf(b.trainingHooks);
    }

    public static Builder builder() { return new Builder(); }

    /** A builder holding this context's settings, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder().data(data).threads(threads).seed(seed).log(log).progress(progress).remote(remote);
        b.trainingHooks.addAll(trainingHooks);
        return b;
    }

    public DataSplits data() { return data; }

    public int threads() { return threads; }

    public long seed() { return seed; }

    public void note(String line) { log.accept(line); }

    public Consumer<String> log() { return log; }

    public TrainListener progress() { return progress; }

    /** Where fine-tuning runs when not in this process (null: here). */
    public RemoteTraining remote() { return remote; }

    /**
     * Hooks every fine-tuning of a pass run in this context adds to its Trainer, each made fresh per training run: a
     * recipe step's objective terms that are not the pass's own (the rate penalty of a step's {@code rate_penalty}).
     */
    public List<Supplier<StepHook>> trainingHooks() { return trainingHooks; }

    /** The normalization {@code m}'s inputs get: the data's explicit one, else the model's recorded one, else none. */
    public Normalization normalization(Model m) { return data.normalization(m); }

    /** The one fine-tuning service, on this context's training split. */
    public FineTuning fineTuning() { return new FineTuning(this); }

    /**
     * The model a pass works on: a copy of {@code m} (each pass canonicalizes it itself, see engine.Canonical), with the
     * explicit normalization recorded in its metadata so that the output (and every later command) applies it.
     */
    public Model prepare(Model m) {
        Model c = m.copy();
        Normalization n = data.explicitNormalization();
        if (n != null) n.writeTo(c);
        return c;
    }

    public static final class Builder {
        private DataSplits data = DataSplits.none();
        private int threads = Math.min(2, Runtime.getRuntime().availableProcessors());
        private long seed = 1;
        private Consumer<String> log = line -> {};
        private TrainListener progress = new TrainListener() {};
        private RemoteTraining remote;
        private final List<Supplier<StepHook>> trainingHooks = new ArrayList<>();

        /** Adds a hook every fine-tuning in the context trains with (a new one per training run). */
        public Builder trainingHook(Supplier<StepHook> h) {
            trainingHooks.add(h);
            return this;
        }

        public Builder data(DataSplits d) {
            data = d == null ? DataSplits.none() : d;
            return this;
        }

        /** In-memory data: training and validation splits (either may be null). */
        public Builder data(Dataset train, Dataset val) { return data(DataSplits.of(train, val)); }

        /** The input normalization (x − mean) / std the model expects (null: its recorded one). */
        public Builder normalization(Normalization n) {
            data = data.normalized(n);
            return this;
        }

        public Builder threads(int t) {
            if (t < 1) throw new io.nnzip.ir.NnzipException("threads must be ≥ 1, got " + t);
            threads = t;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** Where notes go (default: nowhere). */
        public Builder log(Consumer<String> l) {
            log = l == null ? line -> {} : l;
            return this;
        }

        /** Training progress (default: none); {@link #progressOn} prints it to stderr. */
        public Builder progress(TrainListener p) {
            progress = p == null ? new TrainListener() {} : p;
            return this;
        }

        public Builder progressOn(boolean show) { return progress(new Progress(System.err, show)); }

        /** Fine-tuning runs there instead of in this process (null: here). */
        public Builder remote(RemoteTraining r) {
            remote = r;
            return this;
        }

        public PassContext build() { return new PassContext(this); }
    }
}
