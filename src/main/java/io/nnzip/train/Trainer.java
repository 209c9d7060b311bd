package io.nnzip.train;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Trains a model's parameters in place on a private copy of its weights: seeded shuffled batches, forward on a
 * {@link Tape}, loss from an {@link Objective}, {@link Backprop}, optional penalties and clipping, an optimizer
 * step at the scheduled learning rate. Deterministic for a given seed and thread count.
 * <pre>
 * Trainer t = new Trainer(model, new Trainer.Options().epochs(3).lr(1e-3f).optimizer("adam"));
 * Trainer.Report r = t.fit(train, val, norm, new Progress(System.err, true));
 * Model trained = t.model();
 * </pre>
 */
public final class Trainer implements AutoCloseable {
    /** Training options; the fluent setters return this. */
    public static final class Options {
        public int epochs = 1, batchSize = 128, threads = Runtime.getRuntime().availableProcessors(), stepEpochs = 0;
        public float lr = 1e-3f, momentum = 0.9f, weightDecay = 0f, warmupEpochs = 0f, gamma = 0.1f, clipNorm = 0f, labelSmoothing = 0f;
        public String optimizer = "adam", schedule = "constant", include, freeze;
        public boolean nesterov;
        public long seed;
        public Augment augment = Augment.NONE;
        public List<StepHook> hooks = new ArrayList<>();
        public Objective objective;
        /** Several-value objective; wins over {@link #objective}. */
        public MultiObjective multiObjective;
        /** Graph values the objective sees (outputs or intermediate values); the first is the prediction counted for accuracy. Default: the first graph output. */
        public List<String> outputs;
        /** The input the batch's images feed (default: the model's only, or first, runtime input). */
        public String input;
        /** Values for the model's other runtime inputs, per batch (exit masks, noise, conditioning). */
        public Function<Batch, Map<String, Tensor>> feeds;
        /** Parameters outside the model (log-variances, mixture parameters, thresholds) stepped by the same optimizer; hooks set their gradients. */
        public List<Param> extraParams = new ArrayList<>();
        /** Initializers trained beyond the parameter slots {@link TrainableParams} picks (e.g. learned quantization scales). */
        public Set<String> alsoTrain = new java.util.LinkedHashSet<>();
        /**
         * Initializers a hook derives before each forward pass (projected shadow weights, learned scales): their
         * gradients are computed for the hook to read, but the optimizer does not step them.
         */
        public Set<String> derived = new java.util.LinkedHashSet<>();

        public Options epochs(int v) { epochs = v; return this; }
        public Options batchSize(int v) { batchSize = v; return this; }
        public Options threads(int v) { threads = v; return this; }
        public Options lr(float v) { lr = v; return this; }
        public Options optimizer(String v) { optimizer = v; return this; }
        public Options momentum(float v) { momentum = v; return this; }
        public Options nesterov(boolean v) { nesterov = v; return this; }
        public Options weightDecay(float v) { weightDecay = v; return this; }
        public Options schedule(String v) { schedule = v; return this; }
        public Options warmupEpochs(float v) { warmupEpochs = v; return this; }
        public Options clipNorm(float v) { clipNorm = v; return this; }
        public Options labelSmoothing(float v) { labelSmoothing = v; return this; }
        public Options seed(long v) { seed = v; return this; }
        public Options augment(Augment v) { augment = v; return this; }
        public Options trainable(String include, String freeze) { this.include = include; this.freeze = freeze; return this; }
        public Options penalty(Penalty p) { hooks.add(p); return this; }
        public Options hook(StepHook h) { hooks.add(h); return this; }
        public Options objective(Objective o) { objective = o; return this; }
        public Options objective(MultiObjective o, List<String> values) { multiObjective = o; outputs = List.copyOf(values); return this; }
        public Options input(String name) { input = name; return this; }
        public Options feeds(Function<Batch, Map<String, Tensor>> f) { feeds = f; return this; }
        public Options extraParam(Param p) { extraParams.add(p); return this; }
        public Options alsoTrain(java.util.Collection<String> names) { alsoTrain.addAll(names); return this; }
        public Options derived(java.util.Collection<String> names) { derived.addAll(names); return this; }

        public Map<String, Object> describe() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("epochs", epochs);
            m.put("batch", batchSize);
            m.put("lr", lr);
            m.put("optimizer", optimizer);
            if (!optimizer.startsWith("adam")) m.put("momentum", momentum);
            if (nesterov) m.put("nesterov", true);
            m.put("weight_decay", weightDecay);
            m.put("schedule", schedule);
            if (warmupEpochs > 0) m.put("warmup_epochs", warmupEpochs);
            if (clipNorm > 0) m.put("clip_norm", clipNorm);
            if (labelSmoothing > 0) m.put("label_smoothing", labelSmoothing);
            if (augment.enabled()) m.put("augment", "crop" + augment.pad() + (augment.flip() ? "+flip" : ""));
            if (include != null) m.put("trainable", include);
            if (freeze != null) m.put("freeze", freeze);
            m.put("seed", seed);
            return m;
        }
    }

    /** {@code cpuSeconds}: CPU time of the whole process during the epoch (all threads), for shared machines. */
    public record EpochStats(int epoch, float trainLoss, float trainAccuracy, float valLoss, float valAccuracy, double seconds, double imagesPerSecond,
                             double cpuSeconds) {}

    public record Report(List<EpochStats> epochs, double meanEpochSeconds, double imagesPerSecond, float trainLoss, float valAccuracy, long steps, int parameters) {}

    private final Model model;
    private final Options opt;
    private final Parallel par;
    private final Tape tape;
    private final Backprop backprop;
    private final List<Param> params = new ArrayList<>();
    private final List<Param> stepped = new ArrayList<>();
    private final String input;
    private final List<String> outputs;
    private final Optimizer optimizer;
    private final MultiObjective objective;
    private long stepCount;
    private float lastLr;
    private StepProfile profile;

    public Trainer(Model source, Options opt) {
        this.opt = opt;
        this.model = source.copy();
        Map<String, Tensor> inits = model.graph().initializers();
        for (Map.Entry<String, Tensor> e : inits.entrySet()) if (e.getValue().dtype() == DType.FLOAT) e.setValue(e.getValue().copy());
        List<String> runtime = model.graph().runtimeInputs().stream().map(v -> v.name()).toList();
        if (runtime.isEmpty()) throw new NnzipException("training needs a model with an input, this one has none");
        if (runtime.size() > 1 && opt.feeds == null)
            throw new NnzipException("training feeds one input from the data, this model has " + runtime.size() + " (" + String.join(", ", runtime) + "); the others need Trainer.Options.feeds");
        if (opt.input != null && !runtime.contains(opt.input)) throw new NnzipException("training input '" + opt.input + "' is not an input of the model (" + String.join(", ", runtime) + ")");
        this.input = opt.input != null ? opt.input : runtime.getFirst();
        this.outputs = opt.outputs != null && !opt.outputs.isEmpty() ? opt.outputs : List.of(model.graph().outputNames().getFirst());
        Set<String> names = new java.util.LinkedHashSet<>(TrainableParams.select(model.graph(), opt.include, opt.freeze));
        for (String n : opt.alsoTrain) {
            Tensor t = inits.get(n);
            if (t == null || t.dtype() != DType.FLOAT) throw new NnzipException("cannot train '" + n + "': not a float initializer of the model");
            names.add(n);
        }
        if (names.isEmpty()) throw new NnzipException("no trainable parameters" + (opt.include != null || opt.freeze != null ? " match the --trainable/--freeze patterns" : ""));
        for (String n : names) {
            Tensor t = inits.get(n);
            params.add(new Param(n, t.floats(), t.rank() > 1));
        }
        this.par = new Parallel(opt.threads);
        this.tape = new Tape(model.graph(), model.opset(), par, opt.seed);
        // exported transformer blocks train on fused attention, LayerNorm, GELU and linear kernels; the values the
        // objective reads stay (tape().setFusion(false) runs every node as written)
        tape.fuseTransformers(outputs);
        this.backprop = new Backprop(tape, names);
        this.optimizer = Optimizer.create(opt.optimizer, opt.momentum, opt.nesterov, opt.weightDecay);
        this.objective = opt.multiObjective != null ? opt.multiObjective
                : MultiObjective.of(opt.objective != null ? opt.objective : Objective.crossEntropy(opt.labelSmoothing));
        for (Param p : params) if (!opt.derived.contains(p.name())) stepped.add(p);
        stepped.addAll(opt.extraParams);
    }

    /** The model with its current (trained) weights; shares the live weight arrays until the trainer is dropped. */
    public Model model() { return model; }

    /** The model's trainable parameters (live arrays). */
    public List<Param> params() { return params; }

    /** Everything the optimizer steps: {@link #params()} then the options' extra parameters. */
    public List<Param> steppedParams() { return stepped; }

    /** The optimizer stepping {@link #steppedParams()}: its state is what a copy of this trainer restarted mid-run needs. */
    public Optimizer optimizer() { return optimizer; }

    /** The training tape: every value of the current step's forward pass is readable there. */
    public Tape tape() { return tape; }

    /** Steps taken so far. */
    public long steps() { return stepCount; }

    /** The learning rate of the current (or last) step; hooks that step their own parameters scale from it. */
    public float learningRate() { return lastLr; }

    public int parameterCount() { return params.stream().mapToInt(Param::size).sum(); }

    public Parallel parallel() { return par; }

    /** Times every node's forward and backward and the step's other phases into {@code p} (null: off). */
    public void profile(StepProfile p) {
        profile = p;
        tape.setTimer(p);
    }

    /** One optimizer step on a batch; returns {loss, correct predictions of the first objective value}. */
    public float[] step(Batch b, float lr) {
        lastLr = lr;
        for (StepHook h : opt.hooks) h.beforeForward(this, b);
        // hooks may have written derived weights into the live arrays: the engine's weight caches must look again
        io.nnzip.ir.WeightWrites.bump();
        Map<String, Tensor> feeds = new HashMap<>();
        if (opt.feeds != null) feeds.putAll(opt.feeds.apply(b));
        // a feeds function may derive the training input itself (token ids from a batch of sequences)
        feeds.putIfAbsent(input, b.images());
        tape.forward(feeds, true);
        Map<String, Tensor> outs = new LinkedHashMap<>();
        Map<String, float[]> dOut = new LinkedHashMap<>();
        for (String name : outputs) {
            Tensor v = tape.value(name);
            if (v == null) throw new NnzipException("training objective value '" + name + "' is not computed by the model");
            if (v.dtype() != DType.FLOAT) throw new NnzipException("model value '" + name + "' is " + v.dtype().lower() + ", training needs float");
            outs.put(name, v);
            dOut.put(name, new float[v.size()]);
        }
        if (profile != null) profile.begin();
        float loss = objective.lossAndGrad(b, outs, dOut);
        if (profile != null) profile.end("loss");
        if (!Float.isFinite(loss)) throw new NnzipException("loss became " + loss + " at step " + stepCount + "; lower the learning rate (--lr) or add --clip-norm");
        Map<String, Tensor> seeds = new LinkedHashMap<>();
        for (String name : outputs) seeds.put(name, new Tensor(DType.FLOAT, outs.get(name).shape(), dOut.get(name)));
        Map<String, Tensor> grads = backprop.run(seeds);
        for (Param p : params) {
            Tensor g = grads.get(p.name());
            if (g == null) java.util.Arrays.fill(p.grad, 0f);
            else p.grad = g.floats();
        }
        for (Param p : opt.extraParams) java.util.Arrays.fill(p.grad, 0f);
        for (StepHook h : opt.hooks) loss += h.afterBackward(this);
        if (opt.clipNorm > 0) GradClip.clipNorm(stepped, opt.clipNorm);
        if (profile != null) profile.begin();
        optimizer.step(stepped, lr);
        if (profile != null) profile.end("optimizer");
        for (StepHook h : opt.hooks) h.afterStep(this);
        io.nnzip.ir.WeightWrites.bump();
        stepCount++;
        Tensor prediction = outs.get(outputs.getFirst());
        boolean classes = prediction.size() % b.size() == 0 && prediction.size() > b.size();
        return new float[] {loss, classes ? Evaluator.correctTop1(prediction.floats(), b.labels()) : 0f};
    }

    /** Trains for {@code opt.epochs} epochs, evaluating on {@code val} (if non-null) after each. */
    public Report fit(Dataset train, Dataset val, Normalization norm, TrainListener listener) {
        int perEpoch = (train.size() + opt.batchSize - 1) / opt.batchSize;
        int total = perEpoch * opt.epochs;
        LrSchedule sched = LrSchedule.of(opt.schedule, opt.lr, total, Math.round(opt.warmupEpochs * perEpoch),
                (opt.stepEpochs > 0 ? opt.stepEpochs : Math.max(1, opt.epochs / 3)) * perEpoch, opt.gamma);
        Evaluator.Predictor predictor = val == null ? null : Evaluator.engine(model, par);
        List<EpochStats> stats = new ArrayList<>();
        double trainSeconds = 0;
        float lastLoss = Float.NaN, lastVal = Float.NaN;
        for (int e = 0; e < opt.epochs; e++) {
            long t0 = System.nanoTime(), cpu0 = processCpuNanos();
            double lossSum = 0;
            long correct = 0, seen = 0;
            int bi = 0;
            try (BatchLoader loader = new BatchLoader(train, opt.batchSize, true, norm, opt.augment, opt.seed, e)) {
                while (loader.hasNext()) {
                    if (profile != null) profile.begin();
                    Batch b = loader.next();
                    if (profile != null) profile.end("batch");
                    float[] r = step(b, sched.at((int) (stepCount % Math.max(1, total))));
                    lossSum += r[0] * b.size();
                    correct += (long) r[1];
                    seen += b.size();
                    bi++;
                    double el = (System.nanoTime() - t0) / 1e9;
                    listener.step(e + 1, opt.epochs, bi, perEpoch, (float) (lossSum / seen), (float) correct / seen, seen / el, el / bi * (perEpoch - bi));
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9, cpu = (processCpuNanos() - cpu0) / 1e9;
            trainSeconds += secs;
            lastLoss = (float) (lossSum / seen);
            Evaluator.Result vr = predictor == null ? null : Evaluator.evaluate(predictor, val, norm, 256);
            if (vr != null) lastVal = vr.accuracy();
            EpochStats es = new EpochStats(e + 1, lastLoss, (float) correct / seen, vr == null ? Float.NaN : vr.loss(), vr == null ? Float.NaN : vr.accuracy(), secs, seen / secs, cpu);
            stats.add(es);
            listener.epochEnd(es);
        }
        double mean = trainSeconds / Math.max(1, opt.epochs);
        return new Report(stats, mean, train.size() / mean, lastLoss, lastVal, stepCount, parameterCount());
    }

    static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0L;
    }

    @Override
    public void close() { par.close(); }
}
