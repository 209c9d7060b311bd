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
import io.nnzip.train.TrainableParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Soft weight-sharing (Ullrich, Meeds and Welling 2017): retrains with a Gaussian-mixture prior over the weights
 * learned jointly with them ({@link SoftSharing} on the shared Trainer), then snaps every weight to its most
 * responsible component's mean. The zero component prunes, the others quantize: the result has a few distinct values
 * per tensor, which the .nnz codec codes as codebook indices.
 */
public record SoftSharePass(
        @Setting(value = "retraining epochs with the mixture prior", dflt = "2") int finetune,
        @Setting(value = "learning rate of weights and mixture (Adam)", dflt = "0.001") float lr,
        @Setting(value = "mixture components, the zero component included (17: 16 shared values + 0)", dflt = "17") int components,
        @Setting(value = "fixed mixing weight of the zero component: the prior's belief in how many weights are pruned", dflt = "0.99") float zeroMix,
        @Setting(value = "weight τ of the prior's −log p(w) (summed over weights) against the mean cross-entropy", dflt = "0.00003") float tau,
        @Setting(value = "one mixture per weight tensor instead of one for the whole model (layers differ in scale)", dflt = "true") boolean perLayer,
        @Setting(value = "regular expression of the weights to share (default: every matrix and filter)", dflt = "") String layers,
        @Setting(value = "learning-rate schedule: constant, step or cosine", dflt = "cosine") String schedule,
        @Setting(value = "quantile of |w| the non-zero means are spread to (1: the largest weight)", dflt = "0.999") float rangeQuantile,
        @Setting(value = "factor on the learning rate of the mixture means", dflt = "0.2") float meanLr,
        @Setting(value = "factor on the learning rate of the mixture log-variances and mixing logits", dflt = "6") float priorLr,
        @Setting(value = "seed of the data order", dflt = "0") long seed) implements Pass {

    public SoftSharePass {
        if (finetune < 1) throw new NnzipException("soft weight-sharing needs finetune ≥ 1 epoch, got " + finetune);
        if (components < 2 || components > 256) throw new NnzipException("components must be in [2, 256], got " + components);
        if (!(zeroMix > 0 && zeroMix < 1)) throw new NnzipException("zero_mix must be in (0, 1), got " + zeroMix);
        if (!(tau >= 0)) throw new NnzipException("tau must be ≥ 0, got " + tau);
        if (!(lr > 0)) throw new NnzipException("lr must be > 0, got " + lr);
        if (!(rangeQuantile > 0 && rangeQuantile <= 1)) throw new NnzipException("range_quantile must be in (0, 1], got " + rangeQuantile);
        if (!(meanLr > 0)) throw new NnzipException("mean_lr must be > 0, got " + meanLr);
        if (!(priorLr > 0)) throw new NnzipException("prior_lr must be > 0, got " + priorLr);
    }

    public static SoftSharePass of(Map<String, ?> values) { return Configs.of(SoftSharePass.class, values); }

    @Override
    public String name() { return "soft-share"; }

    /** The matrices and filters a pass of this package regularizes: trainable float weights of rank ≥ 2 matching {@code regex}. */
    static List<String> weights(Model m, String regex) {
        Pattern p = regex == null || regex.isBlank() ? null : Pattern.compile(regex);
        List<String> out = new ArrayList<>();
        for (String n : TrainableParams.select(m.graph(), null, null)) {
            Tensor t = m.graph().initializer(n);
            if (t.dtype() == DType.FLOAT && t.rank() >= 2 && (p == null || p.matcher(n).find())) out.add(n);
        }
        if (out.isEmpty()) throw new NnzipException("no weight matrix or filter" + (p == null ? "" : " matches --layers '" + regex + "'"));
        return out;
    }

    /**
     * The {@code q}-quantile of |w| over {@code names}. Why not the largest weight: a trained network's few outliers
     * (the PyTorch MLP's fc0: max 0.52, 99th percentile 0.15) spread the grid so thin where the weights are that the
     * zero component's domain swallows the inner components, which then drift out and merge (3–5 distinct values).
     */
    static float absQuantile(Model m, Iterable<String> names, float q) {
        int n = 0;
        for (String name : names) n += m.graph().initializer(name).size();
        float[] a = new float[n];
        int i = 0;
        for (String name : names) for (float v : m.graph().initializer(name).floats()) a[i++] = Math.abs(v);
        java.util.Arrays.sort(a);
        float r = a.length == 0 ? 0 : a[Math.min(a.length - 1, (int) Math.ceil(q * a.length) - 1)];
        return r > 0 ? r : 1f;
    }

    @Override
    public PassResult run(Model model, PassContext ctx) {
        Model in = ctx.prepare(model);
        io.nnzip.engine.Canonical.apply(in);
        List<String> names = weights(in, layers);
        Map<MixturePrior, Set<String>> groups = new LinkedHashMap<>();
        if (perLayer) for (String n : names) groups.put(MixturePrior.spread(n, components, absQuantile(in, List.of(n), rangeQuantile), zeroMix), Set.of(n));
        else groups.put(MixturePrior.spread("model", components, absQuantile(in, names, rangeQuantile), zeroMix), new LinkedHashSet<>(names));
        SoftSharing hook = new SoftSharing(groups, tau, meanLr, priorLr);
        Map<String, Object> report = new LinkedHashMap<>(Configs.toMap(this));
        Float before = ctx.fineTuning().accuracy(in);
        FineTuning.Request req = new FineTuning.Request(finetune, lr, "adam", schedule, seed, null, null).setup(o -> {
            o.hook(hook);
            for (var p : hook.extraParams()) o.extraParam(p);
        });
        FineTuning.Outcome out = ctx.fineTuning().run(in, req);
        Model trained = out.model();
        Float retrained = ctx.fineTuning().accuracy(trained);
        long total = 0, nonzero = 0;
        List<Map<String, Object>> mixtures = new ArrayList<>();
        for (Map.Entry<MixturePrior, Set<String>> g : groups.entrySet()) {
            for (String n : g.getValue()) {
                Tensor t = trained.graph().initializer(n);
                float[] w = t.floats().clone();
                nonzero += g.getKey().snap(w);
                total += w.length;
                trained.graph().initializers().put(n, new Tensor(DType.FLOAT, t.shape(), w));
            }
            Map<String, Object> mx = new LinkedHashMap<>();
            mx.put("weights", g.getValue().size() == 1 ? g.getValue().iterator().next() : g.getValue().size() + " tensors");
            mx.put("means", g.getKey().means().value().clone());
            float[] sd = g.getKey().logVariances().value().clone();
            for (int j = 0; j < sd.length; j++) sd[j] = (float) Math.exp(0.5 * sd[j]);
            mx.put("std", sd);
            mixtures.add(mx);
        }
        Float after = ctx.fineTuning().accuracy(trained);
        report.put("accuracy_before", before);
        report.put("accuracy_retrained", retrained);
        report.put("accuracy", after);
        if (before != null && after != null) report.put("drop_points", 100 * (before - after));
        report.put("weights", total);
        report.put("nonzero_fraction", total == 0 ? 0.0 : (double) nonzero / total);
        report.put("mixtures", mixtures);
        if (out.report() != null) report.put("seconds_per_epoch", out.report().meanEpochSeconds());
        ctx.normalization(in).writeTo(trained);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("nonzero_fraction", report.get("nonzero_fraction"));
        summary.put("accuracy", after);
        Map<String, Object> prov = Provenance.record(trained, name(), this, Map.of("data", ctx.data().describe()), summary);
        return new PassResult(trained, report, prov);
    }
}
