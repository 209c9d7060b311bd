package io.nnzip.bayes;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.pass.Configs;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.Setting;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sparse variational dropout (Molchanov, Ashukha and Vetrov 2017): trains every matrix and filter as a factorized
 * Gaussian posterior N(θ, σ²) under a log-uniform prior — the noisy graph of {@link NoiseBranches}, the objective of
 * {@link VariationalDropout} — then removes the weights whose dropout rate log α = log σ² − log θ² exceeds
 * {@code threshold} (their noise dwarfs their value, they carry no information) and fine-tunes the survivors with
 * the removed weights held at zero. The returned model is the original graph with the mean weights θ.
 *
 * <p>The pass keeps its last variational training (per thread), so a recipe's gate retry does not start over: a
 * retry that changes only the removal ({@code threshold}, {@code retrain}, {@code retrain_lr}) reuses the trained
 * posterior, one with more {@code finetune} epochs continues it for the difference (warm-up counted as done, Adam
 * moments restarted: not bit-identical to one longer run). The report's {@code training_resumed_from_epoch} says
 * which (0: trained from scratch). {@link #forgetTraining()} drops what is kept.
 */
public record SparseVdPass(
        @Setting(value = "training epochs of the variational objective", dflt = "4") int finetune,
        @Setting(value = "learning rate of weights and log-variances (Adam)", dflt = "0.001") float lr,
        @Setting(value = "factor of the KL term per training example (1: the variational lower bound)", dflt = "1") float klWeight,
        @Setting(value = "epochs over which the KL factor ramps linearly from 0 (KL warm-up; 0: none)", dflt = "1") float warmup,
        @Setting(value = "weights with log α above this are removed", dflt = "3") float threshold,
        @Setting(value = "initial log σ² of every weight", dflt = "-10") float initLogSigma2,
        @Setting(value = "factor on the learning rate of the log-variances (they climb ≈ 10 units to remove a weight)", dflt = "1") float sigmaLr,
        @Setting(value = "fine-tuning epochs after the removal, removed weights held at zero", dflt = "1") int retrain,
        @Setting(value = "learning rate of the fine-tuning after the removal", dflt = "0.0003") float retrainLr,
        @Setting(value = "regular expression of the weights to sparsify (default: every matrix and filter)", dflt = "") String layers,
        @Setting(value = "weights with fewer elements stay dense and noise-free (a CNN's first conv: a few hundred weights, the largest noise tensor)", dflt = "0") int minSize,
        @Setting(value = "learning-rate schedule: constant, step or cosine", dflt = "constant") String schedule,
        @Setting(value = "seed of the data order and the noise", dflt = "0") long seed) implements Pass {

    public SparseVdPass {
        if (finetune < 1) throw new NnzipException("sparse variational dropout needs finetune ≥ 1 epoch, got " + finetune);
        if (!(lr > 0)) throw new NnzipException("lr must be > 0, got " + lr);
        if (!(klWeight >= 0)) throw new NnzipException("kl_weight must be ≥ 0, got " + klWeight);
        if (!(warmup >= 0)) throw new NnzipException("warmup must be ≥ 0 epochs, got " + warmup);
        if (retrain < 0) throw new NnzipException("retrain must be ≥ 0 epochs, got " + retrain);
        if (!(sigmaLr > 0)) throw new NnzipException("sigma_lr must be > 0, got " + sigmaLr);
        if (!(retrainLr > 0)) throw new NnzipException("retrain_lr must be > 0, got " + retrainLr);
        if (minSize < 0) throw new NnzipException("min_size must be ≥ 0, got " + minSize);
        if (!Float.isFinite(threshold)) throw new NnzipException("threshold must be finite, got " + threshold);
    }

    public static SparseVdPass of(Map<String, ?> values) { return Configs.of(SparseVdPass.class, values); }

    @Override
    public String name() { return "sparse-vd"; }

    @Override
    public PassResult run(Model model, PassContext ctx) {
        Model in = ctx.prepare(model);
        io.nnzip.engine.Canonical.apply(in);
        List<String> names = new ArrayList<>(SoftSharePass.weights(in, layers));
        names.removeIf(w -> in.graph().initializer(w).size() < minSize);
        if (names.isEmpty()) throw new NnzipException("sparse variational dropout: no weight has min_size " + minSize + " elements or more");
        NoiseBranches noisy = NoiseBranches.attach(in, names, initLogSigma2);
        Map<String, String> logS = noisy.logSigma2ByWeight();
        int trainSize = ctx.data().requireTrain("sparse variational dropout").size();
        Map<String, Object> report = new LinkedHashMap<>(Configs.toMap(this));
        Float before = ctx.fineTuning().accuracy(in);
        // A retry that changes only what happens after the variational training (threshold, retrain, retrain_lr)
        // reuses the trained posterior; one that asks for more epochs continues from it (KL warm-up already done,
        // optimizer moments restarted) instead of training from scratch.
        String key = trainingKey(in, ctx);
        Trained cached = LAST.get();
        FineTuning.Outcome out;
        int resumedFrom = 0;
        if (cached != null && cached.key.equals(key) && cached.epochs == finetune) {
            out = cached.outcome;
            resumedFrom = finetune;
        } else {
            Model start = noisy.model();
            int epochs = finetune;
            if (cached != null && cached.key.equals(key) && cached.epochs < finetune) {
                start = cached.outcome.model();
                epochs = finetune - cached.epochs;
                resumedFrom = cached.epochs;
            }
            final int from = resumedFrom;
            final float warmLeft = Math.max(0f, warmup - resumedFrom);
            FineTuning.Request req = new FineTuning.Request(epochs, lr, "adam", schedule, seed + from, null, null).setup(o -> {
                long perEpoch = (trainSize + o.batchSize - 1) / o.batchSize;
                o.hook(new VariationalDropout(logS, klWeight, trainSize, Math.round(warmLeft * perEpoch), sigmaLr));
                o.alsoTrain(logS.values());
                o.input(noisy.input());
                o.feeds(noisy.feeds(seed ^ 0x5eed ^ from));
            });
            out = ctx.fineTuning().run(start, req);
            LAST.set(new Trained(key, finetune, out));
        }
        report.put("training_resumed_from_epoch", resumedFrom);
        // the mean network: the original graph with the trained θ (the log-variances stay behind)
        Model mean = in.copy();
        for (Map.Entry<String, Tensor> e : mean.graph().initializers().entrySet()) {
            Tensor t = out.model().graph().initializer(e.getKey());
            if (t != null) e.setValue(t);
        }
        Float trained = ctx.fineTuning().accuracy(mean);
        Map<String, boolean[]> zeros = new LinkedHashMap<>();
        List<Map<String, Object>> perLayer = new ArrayList<>();
        long total = 0, removed = 0;
        for (String w : logS.keySet()) {
            Tensor t = mean.graph().initializer(w);
            float[] theta = t.floats().clone(), ls = out.model().graph().initializer(logS.get(w)).floats();
            boolean[] z = new boolean[theta.length];
            int cut = 0;
            for (int i = 0; i < theta.length; i++)
                if (VdKl.logAlpha(theta[i], ls[i]) > threshold) {
                    z[i] = true;
                    theta[i] = 0f;
                    cut++;
                }
            mean.graph().initializers().put(w, new Tensor(DType.FLOAT, t.shape(), theta));
            zeros.put(w, z);
            total += theta.length;
            removed += cut;
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("weight", w);
            l.put("size", theta.length);
            l.put("nonzero_fraction", 1 - (double) cut / theta.length);
            perLayer.add(l);
        }
        Float thresholded = ctx.fineTuning().accuracy(mean);
        Model result = mean;
        if (retrain > 0) {
            result = ctx.fineTuning().run(mean, FineTuning.Request.of(retrain, retrainLr, "cosine", seed + 1).zeros(zeros)).model();
        }
        Float after = ctx.fineTuning().accuracy(result);
        report.put("accuracy_before", before);
        report.put("accuracy_trained", trained);
        report.put("accuracy_thresholded", thresholded);
        report.put("accuracy", after);
        if (before != null && after != null) report.put("drop_points", 100 * (before - after));
        report.put("weights", total);
        report.put("nonzero_fraction", total == 0 ? 0.0 : 1 - (double) removed / total);
        report.put("layers", perLayer);
        if (out.report() != null) report.put("seconds_per_epoch", out.report().meanEpochSeconds());
        ctx.normalization(in).writeTo(result);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("nonzero_fraction", report.get("nonzero_fraction"));
        summary.put("accuracy", after);
        Map<String, Object> prov = Provenance.record(result, name(), this, Map.of("data", ctx.data().describe()), summary);
        return new PassResult(result, report, prov);
    }

    /** The last variational training of this process: what a gate retry of the same step continues from. */
    private static final ThreadLocal<Trained> LAST = new ThreadLocal<>();

    private record Trained(String key, int epochs, FineTuning.Outcome outcome) {}

    /** Forgets the kept training (tests; a caller that wants every run from scratch). */
    public static void forgetTraining() { LAST.remove(); }

    /** What the variational training depends on other than its epoch count: the model's weights, data and settings. */
    private String trainingKey(Model in, PassContext ctx) {
        return io.nnzip.codec.ModelHash.hex(io.nnzip.codec.ModelHash.of(in)) + "|" + in.graph().nodes().size() + "|"
                + ctx.data().describe() + "|" + ctx.data().requireTrain("sparse variational dropout").size() + "|"
                + lr + "|" + klWeight + "|" + warmup + "|" + initLogSigma2 + "|" + sigmaLr + "|" + layers + "|" + minSize + "|" + schedule + "|" + seed;
    }

}
