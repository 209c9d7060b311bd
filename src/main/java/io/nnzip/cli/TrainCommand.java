package io.nnzip.cli;

import io.nnzip.data.Augment;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.models.Models;
import io.nnzip.models.Reinit;
import io.nnzip.train.CountingLm;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.codec.rd.RatePenalty;
import io.nnzip.train.Penalty;
import io.nnzip.train.Progress;
import io.nnzip.pass.Provenance;
import io.nnzip.train.StepProfile;
import io.nnzip.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a model from scratch (--model) or fine-tunes an ONNX model (--init) and writes standard ONNX.",
                "The model records its input normalization and how it was trained in its metadata."})
public final class TrainCommand extends BaseCommand {
    @Option(names = "--model", description = "Architecture to train from scratch: ${COMPLETION-CANDIDATES}.", completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--width", defaultValue = "1.0", description = "Width multiplier for --model (default ${DEFAULT-VALUE}).")
    float width;

    @Option(names = "--init", paramLabel = "MODEL.onnx", description = "Fine-tune this ONNX model instead of training from scratch.")
    Path init;

    @Option(names = "--reinit", arity = "0..1", fallbackValue = "", paramLabel = "REGEX",
            description = "With --init: re-draw the parameters whose name matches REGEX (alone: all) with the initializers --model uses, seeded by --seed, to train that architecture from scratch.")
    String reinit;

    @Mixin DataOptions dataOptions;

    @Option(names = "--epochs", defaultValue = "1", description = "Training epochs (default ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--batch", defaultValue = "128", description = "Mini-batch size (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--lr", description = "Learning rate (default 0.001 for adam/adamw, 0.05 for sgd; a tenth of that when fine-tuning an --init model without --reinit).") Float lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd, adam or adamw (default ${DEFAULT-VALUE}).") String optimizer;
    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).") float momentum;
    @Option(names = "--nesterov", description = "Nesterov momentum for SGD.") boolean nesterov;
    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay on weight matrices and filters (L2 for sgd/adam, decoupled for adamw).") float weightDecay;
    @Option(names = "--schedule", defaultValue = "constant", description = "constant, step or cosine (default ${DEFAULT-VALUE}).") String schedule;
    @Option(names = "--warmup", defaultValue = "0", paramLabel = "EPOCHS", description = "Linear learning-rate warm-up, in epochs (fractions allowed).") float warmup;
    @Option(names = "--step-epochs", defaultValue = "0", description = "Step schedule: multiply the rate by --gamma every this many epochs (default epochs/3).") int stepEpochs;
    @Option(names = "--gamma", defaultValue = "0.1", description = "Step schedule decay factor (default ${DEFAULT-VALUE}).") float gamma;
    @Option(names = "--clip-norm", defaultValue = "0", description = "Clip gradients to this global L2 norm (0: off).") float clipNorm;
    @Option(names = "--label-smoothing", defaultValue = "0", description = "Cross-entropy label smoothing epsilon.") float labelSmoothing;
    @Option(names = "--l1", paramLabel = "LAMBDA[:REGEX]", description = "L1 penalty on parameters matching REGEX (default: weights).") String l1;
    @Option(names = "--l2", paramLabel = "LAMBDA[:REGEX]", description = "L2 penalty on parameters matching REGEX (default: weights).") String l2;
    @Option(names = "--low-rank-reg", paramLabel = "LAMBDA[:REGEX]",
            description = "Nuclear-norm (low-rank) regularization on weight matrices matching REGEX (default: weights), as singular value soft-thresholding after each step.")
    String lowRankReg;
    @Option(names = "--rate-penalty", paramLabel = "LAMBDA",
            description = "Rate-aware training: add LAMBDA times the estimated bits the .nnz coder spends on the weights (at the default QP, fitted to the coder's statistics every 100 steps) to the loss.")
    Double ratePenalty;
    @Option(names = "--augment", description = "Random crop (pad 2) and, with 'flip', horizontal flips: none, crop, crop+flip.", defaultValue = "none") String augment;
    @Option(names = "--trainable", paramLabel = "REGEX", description = "Train only parameters whose name matches.") String trainable;
    @Option(names = "--freeze", paramLabel = "REGEX", description = "Keep parameters whose name matches fixed.") String freeze;
    @Option(names = "--val-split", defaultValue = "0", paramLabel = "FRACTION",
            description = "Hold out this fraction of the training split for validation; 0 validates on the test split.") float valSplit;
    @Option(names = "--seed", defaultValue = "1", description = "Seed for initialization, shuffling, dropout and augmentation (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).") Integer threads;
    @Option(names = "--profile", description = "Time every op's forward and backward and the other step phases; print the table (and add it to --json).") boolean profile;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx") Path output;
    @Mixin SparkTraining spark;

    static final class ModelNames extends java.util.ArrayList<String> {
        ModelNames() {
            super(List.of(Models.NAMES));
            addAll(List.of(Models.LANGUAGE_MODELS));
        }
    }

    @Override
    protected Map<String, Object> execute() {
        if ((model == null) == (init == null)) throw new NnzipException("train needs exactly one of --model NAME or --init MODEL.onnx");
        if (model != null && List.of(Models.LANGUAGE_MODELS).contains(model.toLowerCase())) return languageModel();
        Dataset trainSet = dataOptions.load("train", "train");
        Dataset val;
        if (valSplit > 0) {
            Dataset[] parts = trainSet.split(Math.max(1, Math.round(trainSet.size() * valSplit)), seed);
            trainSet = parts[0];
            val = parts[1];
        } else {
            val = dataOptions.load("train", "test");
        }
        if (reinit != null && init == null) throw new NnzipException("--reinit re-draws the weights of an --init model; --model already starts from its initializers");
        Model start = init != null ? ModelValidator.read(init) : Models.create(model, width, trainSet.classes(), seed);
        List<String> redrawn = reinit == null ? List.of() : Reinit.option(start, reinit, seed, init.getFileName().toString());
        Normalization norm = init != null ? dataOptions.normalization(start)
                : dataOptions.normalize != null ? Normalization.parse(dataOptions.normalize) : Normalization.measure(trainSet);

        Trainer.Options o = options();
        RatePenalty rate = ratePenalty == null ? null : new RatePenalty(ratePenalty);
        if (rate != null) o.hook(rate);

        note("training " + (init != null ? init.getFileName() : model + (width != 1f ? " x" + width : "")) + " on " + trainSet.name()
                + " (" + trainSet.size() + " images, validation " + val.size() + "), normalization " + norm + ", " + o.describe());
        if (spark.enabled()) return dataParallel(start, o, trainSet, val, norm);
        Trainer.Report r;
        Model trained;
        StepProfile prof = profile ? new StepProfile() : null;
        try (Trainer t = new Trainer(start, o)) {
            t.profile(prof);
            r = t.fit(trainSet, val, norm, new Progress(System.err, !dataOptions.noProgress));
            trained = t.model();
            norm.writeTo(trained);
            Map<String, Object> prov = new LinkedHashMap<>(o.describe());
            prov.put("data", dataOptions.data);
            prov.put(init != null ? "init" : "model", init != null ? init.getFileName().toString() : model);
            if (init == null && width != 1f) prov.put("width", width);
            if (reinit != null) prov.put("reinit", Reinit.describe(reinit));
            if (dataOptions.limit > 0) prov.put("limit", dataOptions.limit);
            if (rate != null) prov.put("rate_penalty", rate.describe());
            Provenance.record(trained, "train", prov, null, null);
            OnnxWriter.write(trained, output);
        }
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("output", output.toString());
        res.put("model", init != null ? init.toString() : model);
        res.put("parameters", r.parameters());
        if (reinit != null) res.put("reinitialized", redrawn);
        res.put("epochs", r.epochs().size());
        res.put("seconds_per_epoch", round(r.meanEpochSeconds(), 3));
        res.put("images_per_second", round(r.imagesPerSecond(), 1));
        res.put("cpu_seconds_per_epoch", round(r.epochs().stream().mapToDouble(Trainer.EpochStats::cpuSeconds).average().orElse(Double.NaN), 2));
        res.put("load_average", round(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 2));
        res.put("train_loss", round(r.trainLoss(), 5));
        res.put("val_accuracy", round(r.valAccuracy(), 5));
        res.put("validation", valSplit > 0 ? "held-out " + val.size() + " training images" : "test split");
        res.put("normalization", norm.describe());
        List<Map<String, Object>> history = new java.util.ArrayList<>();
        for (Trainer.EpochStats e : r.epochs()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("epoch", e.epoch());
            h.put("train_loss", round(e.trainLoss(), 5));
            h.put("train_accuracy", round(e.trainAccuracy(), 5));
            h.put("val_loss", round(e.valLoss(), 5));
            h.put("val_accuracy", round(e.valAccuracy(), 5));
            h.put("seconds", round(e.seconds(), 3));
            h.put("images_per_second", round(e.imagesPerSecond(), 1));
            h.put("cpu_seconds", round(e.cpuSeconds(), 2));
            history.add(h);
        }
        res.put("history", history);
        if (rate != null) {
            res.put("rate_penalty", rate.describe());
            res.put("rate_estimated_bytes", round(rate.lastBits() / 8, 1));
        }
        if (prof != null) {
            res.put("profile_ms", prof.summary());
            prof.print(System.err);
        }
        return res;
    }

    /**
     * Adam's 1e-3 (SGD's 0.05) suits training from scratch; fine-tuning a trained model at that rate first undoes
     * some of its training (a converged ViT lost 2–2.6 points in one epoch, and kept its accuracy at a tenth of it).
     */
    private float defaultLr() {
        boolean sgd = optimizer.equalsIgnoreCase("sgd"), fineTune = init != null && reinit == null;
        return sgd ? (fineTune ? 0.005f : 0.05f) : (fineTune ? 1e-4f : 1e-3f);
    }

    private Trainer.Options options() {
        Trainer.Options o = new Trainer.Options().epochs(epochs).batchSize(batch).optimizer(optimizer).momentum(momentum).nesterov(nesterov)
                .weightDecay(weightDecay).schedule(schedule).warmupEpochs(warmup).clipNorm(clipNorm).labelSmoothing(labelSmoothing)
                .seed(seed).augment(parseAugment(augment)).trainable(trainable, freeze)
                .lr(lr != null ? lr : defaultLr());
        o.stepEpochs = stepEpochs;
        o.gamma = gamma;
        if (threads != null) o.threads(threads);
        if (l1 != null) o.penalty(penalty(l1, true));
        if (l2 != null) o.penalty(penalty(l2, false));
        if (lowRankReg != null) {
            String[] p = lambdaAndNames("--low-rank-reg", lowRankReg);
            o.hook(io.nnzip.train.LowRankPenalty.of(Float.parseFloat(p[0]), p[1]));
        }
        return o;
    }

    /** A language model trains on the built-in counting sequences ({@link CountingLm}); --limit caps their number. */
    private Map<String, Object> languageModel() {
        if (dataOptions.data != null && !dataOptions.data.equals("counting"))
            throw new NnzipException("--model " + model + " trains on the built-in token task: use --data counting (or no --data)");
        if (ratePenalty != null) throw new NnzipException("--rate-penalty prices image-model weights for the .nnz coder; it is not supported for the built-in language models");
        int v = Models.LM_VOCAB, ctx = Models.LM_CTX, n = dataOptions.limit > 0 ? dataOptions.limit : 20000;
        Dataset trainSet = CountingLm.data("counting", n, v, ctx, seed), val = CountingLm.data("counting-val", 2000, v, ctx, seed + 1);
        Model start = Models.create(model, width, v, seed);
        Trainer.Options o = CountingLm.configure(options(), "ids", v, ctx);
        note("training " + model + " on " + n + " counting sequences of " + (ctx + 1) + " tokens, " + o.describe());
        Map<String, Object> res = new LinkedHashMap<>();
        try (Trainer t = new Trainer(start, o); io.nnzip.engine.Parallel par = new io.nnzip.engine.Parallel(o.threads)) {
            double before = CountingLm.accuracy(start, val, "ids", v, ctx, par);
            Trainer.Report r = t.fit(trainSet, null, Normalization.NONE, new Progress(System.err, !dataOptions.noProgress));
            Model trained = t.model();
            Map<String, Object> prov = new LinkedHashMap<>(o.describe());
            prov.put("data", "counting");
            prov.put("model", model);
            prov.put("sequences", n);
            Provenance.record(trained, "train", prov, null, null);
            OnnxWriter.write(trained, output);
            res.put("output", output.toString());
            res.put("model", model);
            res.put("parameters", r.parameters());
            res.put("epochs", r.epochs().size());
            res.put("seconds_per_epoch", round(r.meanEpochSeconds(), 3));
            res.put("train_loss", round(r.trainLoss(), 5));
            res.put("val_accuracy", round(CountingLm.accuracy(trained, val, "ids", v, ctx, par), 5));
            res.put("val_accuracy_before", round(before, 5));
            res.put("validation", "next-token top-1 on 2000 held-out sequences, positions 1.." + (ctx - 1));
        }
        return res;
    }

    private Map<String, Object> dataParallel(Model start, Trainer.Options o, Dataset trainSet, Dataset val, Normalization norm) {
        Map<String, Boolean> unsupported = new LinkedHashMap<>();
        unsupported.put("--schedule " + schedule, schedule.equals("step")); // cosine runs over the exchange rounds
        unsupported.put("--warmup", warmup != 0);
        unsupported.put("--nesterov", nesterov);
        unsupported.put("--clip-norm", clipNorm != 0);
        unsupported.put("--label-smoothing", labelSmoothing != 0);
        unsupported.put("--l1/--l2", l1 != null || l2 != null);
        unsupported.put("--low-rank-reg", lowRankReg != null);
        unsupported.put("--rate-penalty", ratePenalty != null);
        unsupported.put("--augment", !augment.equals("none"));
        unsupported.put("--trainable/--freeze", trainable != null || freeze != null);
        unsupported.put("--val-split", valSplit != 0);
        unsupported.put("--profile", profile);
        SparkTraining.refuse(unsupported);
        long t0 = System.nanoTime();
        SparkTraining.Result sr = spark.run(start, o, dataOptions.data, dataOptions.limit, trainSet, val, norm, threads, this::note);
        Model trained = sr.model();
        norm.writeTo(trained);
        Map<String, Object> prov = new LinkedHashMap<>(o.describe());
        prov.put("data", dataOptions.data);
        prov.put(init != null ? "init" : "model", init != null ? init.getFileName().toString() : model);
        if (dataOptions.limit > 0) prov.put("limit", dataOptions.limit);
        if (reinit != null) prov.put("reinit", Reinit.describe(reinit));
        prov.put("spark_workers", spark.workers);
        prov.put("exchange", spark.exchange);
        prov.put("local_steps", spark.localSteps);
        Provenance.record(trained, "train", prov, null, null);
        OnnxWriter.write(trained, output);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("output", output.toString());
        res.put("model", init != null ? init.toString() : model);
        res.put("epochs", epochs);
        res.put("steps", sr.steps());
        res.put("seconds_per_epoch", round((System.nanoTime() - t0) / 1e9 / Math.max(1, epochs), 3));
        res.put("train_loss", round(sr.trainLoss(), 5));
        res.put("val_accuracy", round(sr.valAccuracy(), 5));
        res.put("validation", "test split");
        res.put("normalization", norm.describe());
        res.putAll(sr.info());
        return res;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("wrote %s: val accuracy %.2f%%, train loss %.4f, %.1f s/epoch, %.0f images/s%n", r.get("output"),
                100 * num(r.get("val_accuracy")), num(r.get("train_loss")), num(r.get("seconds_per_epoch")), num(r.get("images_per_second")));
    }

    static double num(Object o) { return o instanceof Number n ? n.doubleValue() : Double.NaN; }

    private static Augment parseAugment(String s) {
        return switch (s.toLowerCase()) {
            case "none" -> Augment.NONE;
            case "crop" -> new Augment(2, false);
            case "crop+flip", "flip+crop" -> new Augment(2, true);
            case "flip" -> new Augment(0, true);
            default -> throw new NnzipException("--augment must be none, crop, flip or crop+flip, got '" + s + "'");
        };
    }

    private static Penalty penalty(String spec, boolean l1) {
        String[] p = lambdaAndNames(l1 ? "--l1" : "--l2", spec);
        return l1 ? Penalty.l1(Float.parseFloat(p[0]), p[1]) : Penalty.l2(Float.parseFloat(p[0]), p[1]);
    }

    /** LAMBDA[:REGEX] → {lambda, regex (default "weight")}; lambda a non-negative number. */
    private static String[] lambdaAndNames(String option, String spec) {
        String[] p = spec.split(":", 2);
        try {
            if (!(Float.parseFloat(p[0]) >= 0)) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new NnzipException(option + " expects LAMBDA[:REGEX] with LAMBDA >= 0, got '" + spec + "'");
        }
        return new String[] {p[0], p.length > 1 ? p[1] : "weight"};
    }

    /** Rounded for JSON; null when not finite (JSON has no NaN). */
    static Double round(double v, int digits) {
        if (!Double.isFinite(v)) return null;
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }
}
