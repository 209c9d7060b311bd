package io.nnzip.bayes;

import io.nnzip.codec.CodecOptions;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.pass.Configs;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.Pass;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.pass.Setting;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.dep.ChannelGraph.Entity;
import io.nnzip.prune.dep.CoupledGroups;
import io.nnzip.prune.dep.PruneForm;
import io.nnzip.prune.dep.TensorSlicing;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Bayesian compression with the group normal-Jeffreys prior (Louizos, Ullrich and Welling 2017): every output neuron
 * of a Gemm/MatMul and every filter of a Conv gets a scale z with a log-uniform prior, its weights a Gaussian
 * posterior given z (training graph: {@link NoiseBranches} + {@link GroupGates}; objective: {@link GroupVariational}
 * on the shared Trainer). After training, z is folded into its weights and bias, and every group whose dropout rate
 * log α = log σ_z² − log μ_z² exceeds {@code threshold} is removed structurally through the pruning dependency graph
 * ({@link StructuredPruner#remove}), so the next layer loses the matching inputs and coupled layers shrink together.
 * Groups the graph pins (a classifier's outputs) only get the weight posterior.
 *
 * <p>Bit widths: each layer's significand bits follow from its kept weights' posterior variances by the paper's rule
 * ({@link GroupKl#bits}: {@code bit_rule} min takes the smallest variance, as the paper states; mean averages the
 * per-weight precisions, as the authors' released code does), i.e. a uniform grid of step 2^−bits. The pass reports
 * them and turns each step into a per-tensor QP of the {@code .nnz} coder ({@code qp_of}, Δ = σ_t·2^(QP/4)): the
 * coder's uniform quantizer with an entropy-coded index is exactly a fixed-step grid, and an override per tensor
 * is what {@code encode --qp-of} and a recipe's {@code encode: {qp_of: ...}} already take, whereas k-means levels
 * would discard the step the posterior prescribes.
 */
public record BayesGroupPass(
        @Setting(value = "training epochs of the variational objective", dflt = "4") int finetune,
        @Setting(value = "learning rate of weights, scales and log-variances (Adam)", dflt = "0.001") float lr,
        @Setting(value = "factor of the KL term per training example (1: the variational lower bound)", dflt = "1") float klWeight,
        @Setting(value = "epochs over which the KL factor ramps linearly from 0 (KL warm-up; 0: none)", dflt = "1") float warmup,
        @Setting(value = "neurons and filters whose scale has log α above this are removed", dflt = "-1") float threshold,
        @Setting(value = "initial log σ² of every weight", dflt = "-10") float initLogSigma2,
        @Setting(value = "initial log-variance of every scale z (μ_z starts at 1; a group is removed once its log α climbs past the threshold, so a start nearer the threshold needs fewer steps)", dflt = "-4") float initZLogVar,
        @Setting(value = "factor on the learning rate of the scales μ_z and their log-variances", dflt = "10") float scaleLr,
        @Setting(value = "fine-tuning epochs of the smaller network after the removal", dflt = "1") int retrain,
        @Setting(value = "learning rate of the fine-tuning after the removal", dflt = "0.0003") float retrainLr,
        @Setting(value = "regular expression of the weights to train as posteriors (default: every matrix and filter)", dflt = "") String layers,
        @Setting(value = "weights with fewer elements stay deterministic and keep all their groups", dflt = "0") int minSize,
        @Setting(value = "how a layer's bit width follows from its posterior variances: min (the smallest variance, the paper's rule) or mean (the mean of the per-weight precisions, the authors' code)", dflt = "min") String bitRule,
        @Setting(value = "learning-rate schedule: constant, step or cosine", dflt = "constant") String schedule,
        @Setting(value = "seed of the data order and the noise", dflt = "0") long seed) implements Pass {

    public BayesGroupPass {
        if (finetune < 1) throw new NnzipException("bayesian compression needs finetune ≥ 1 epoch, got " + finetune);
        if (!(lr > 0)) throw new NnzipException("lr must be > 0, got " + lr);
        if (!(klWeight >= 0)) throw new NnzipException("kl_weight must be ≥ 0, got " + klWeight);
        if (!(warmup >= 0)) throw new NnzipException("warmup must be ≥ 0 epochs, got " + warmup);
        if (retrain < 0) throw new NnzipException("retrain must be ≥ 0 epochs, got " + retrain);
        if (!(retrainLr > 0)) throw new NnzipException("retrain_lr must be > 0, got " + retrainLr);
        if (!(scaleLr > 0)) throw new NnzipException("scale_lr must be > 0, got " + scaleLr);
        if (minSize < 0) throw new NnzipException("min_size must be ≥ 0, got " + minSize);
        if (!Float.isFinite(threshold)) throw new NnzipException("threshold must be finite, got " + threshold);
        bitRule = bitRule == null ? "min" : bitRule;
        if (!bitRule.equals("min") && !bitRule.equals("mean")) throw new NnzipException("bit_rule must be min or mean, not '" + bitRule + "'");
    }

    public static BayesGroupPass of(Map<String, ?> values) { return Configs.of(BayesGroupPass.class, values); }

    @Override
    public String name() { return "bayes-group"; }

    @Override
    public PassResult run(Model model, PassContext ctx) {
        Model in = ctx.prepare(model);
        PruneForm.apply(in); // the names the removal plan will use: canonical, shared initializers split per reader
        List<String> names = new ArrayList<>(SoftSharePass.weights(in, layers));
        names.removeIf(w -> in.graph().initializer(w).size() < minSize);
        if (names.isEmpty()) throw new NnzipException("bayesian compression: no weight has min_size " + minSize + " elements or more");
        Map<String, Node> reader = new HashMap<>();
        for (Node n : in.graph().nodes())
            if (n.domain().isEmpty() && Set.of("Gemm", "MatMul", "Conv").contains(n.opType()) && n.inputs().size() > 1 && names.contains(n.input(1)))
                reader.put(n.input(1), n);
        names.removeIf(w -> !reader.containsKey(w));
        // the layers whose output channels the dependency graph lets go get a scale; the others only a weight posterior
        StructuredPruner.Analysis before = StructuredPruner.Analysis.of(in);
        Map<String, Integer> axisByWeight = new LinkedHashMap<>();
        Map<String, String> outputByWeight = new HashMap<>();
        for (String w : names) {
            Entity e = filterEntity(before, w);
            if (e != null && anyPrunable(before, e)) {
                axisByWeight.put(w, e.axis());
                outputByWeight.put(w, reader.get(w).output(0));
            }
        }
        if (axisByWeight.isEmpty()) throw new NnzipException("bayesian compression: no neuron or filter of " + names + " may be removed (every output channel is pinned)");
        NoiseBranches noisy = NoiseBranches.attach(in, names, initLogSigma2);
        GroupGates gates = GroupGates.attach(noisy, axisByWeight, outputByWeight, initZLogVar);
        Map<String, String> logS = noisy.logSigma2ByWeight();
        int trainSize = ctx.data().requireTrain("bayesian compression").size();
        Map<String, Object> report = new LinkedHashMap<>(Configs.toMap(this));
        Float accBefore = ctx.fineTuning().accuracy(in);
        List<String> extra = new ArrayList<>(logS.values());
        gates.logVarByMu().forEach((mu, lv) -> {
            extra.add(mu);
            extra.add(lv);
        });
        var noiseFeeds = noisy.feeds(seed ^ 0x5eed);
        var gateFeeds = gates.feeds(seed ^ 0x9a7e);
        FineTuning.Request req = new FineTuning.Request(finetune, lr, "adam", schedule, seed, null, null).setup(o -> {
            long perEpoch = (trainSize + o.batchSize - 1) / o.batchSize;
            o.hook(new GroupVariational(logS, gates.logVarByMu(), klWeight, trainSize, Math.round(warmup * perEpoch), scaleLr));
            o.alsoTrain(extra);
            o.input(noisy.input());
            o.feeds(b -> {
                Map<String, io.nnzip.ir.Tensor> f = new HashMap<>(noiseFeeds.apply(b));
                f.putAll(gateFeeds.apply(b));
                return f;
            });
        });
        FineTuning.Outcome out = ctx.fineTuning().run(noisy.model(), req);
        Model trained = out.model();

        // the mean network: trained w̃ with each group's μ_z folded into its weight slice and its layer's bias
        Model mean = in.copy();
        for (Map.Entry<String, Tensor> e : mean.graph().initializers().entrySet()) {
            Tensor t = trained.graph().initializer(e.getKey());
            if (t != null) e.setValue(t);
        }
        Map<String, float[]> variance = new LinkedHashMap<>();
        Map<String, double[]> logAlpha = new LinkedHashMap<>();
        for (String w : names) {
            float[] mu = mean.graph().initializer(w).floats(), ls = trained.graph().initializer(logS.get(w)).floats();
            float[] v = new float[mu.length];
            for (int i = 0; i < v.length; i++) v[i] = (float) Math.exp(ls[i]);
            variance.put(w, v);
        }
        for (GroupGates.Gate gt : gates.gates()) {
            float[] zMu = trained.graph().initializer(gt.zMu()).floats(), zLv = trained.graph().initializer(gt.zLogVar()).floats();
            double[] la = new double[zMu.length];
            for (int j = 0; j < la.length; j++) la[j] = VdKl.logAlpha(zMu[j], zLv[j]);
            logAlpha.put(gt.weight(), la);
            Tensor w = mean.graph().initializer(gt.weight());
            float[] mu = w.floats().clone(), ls = trained.graph().initializer(logS.get(gt.weight())).floats(), v = variance.get(gt.weight());
            int[] shape = w.shape();
            int inner = 1, channels = shape[gt.axis()];
            for (int d = gt.axis() + 1; d < shape.length; d++) inner *= shape[d];
            for (int i = 0; i < mu.length; i++) {
                int j = (i / inner) % channels;
                v[i] = (float) GroupKl.weightVariance(zMu[j], zLv[j], mu[i], ls[i]);
                mu[i] *= zMu[j];
            }
            mean.graph().initializers().put(gt.weight(), new Tensor(DType.FLOAT, shape, mu));
            Node n = reader.get(gt.weight());
            if (!n.opType().equals("MatMul") && n.inputs().size() > 2 && !n.input(2).isEmpty()) {
                Tensor b = mean.graph().initializer(n.input(2));
                if (b == null || b.size() != channels) throw new NnzipException(n.describe() + ": bias is not a constant of " + channels + " channels");
                float[] bv = b.floats().clone();
                for (int j = 0; j < channels; j++) bv[j] *= zMu[j];
                mean.graph().initializers().put(n.input(2), new Tensor(DType.FLOAT, b.shape(), bv));
            }
        }
        Float accTrained = ctx.fineTuning().accuracy(mean);

        // every component whose filters all belong to groups above the threshold, most certainly useless first
        StructuredPruner.Analysis a = StructuredPruner.Analysis.of(mean);
        Map<Integer, Double> score = new HashMap<>();
        for (CoupledGroups.Component c : a.groups().components) {
            double min = Double.POSITIVE_INFINITY;
            boolean filters = false;
            for (int[] m : c.members()) {
                Entity e = a.groups().entity(m[0]);
                if (!a.deps().filterAxes.contains(e.key())) continue;
                filters = true;
                double[] la = logAlpha.get(e.name());
                min = Math.min(min, la == null ? Double.NEGATIVE_INFINITY : la[m[1]]);
            }
            if (filters && min > threshold) score.put(c.id(), min);
        }
        List<Integer> wanted = new ArrayList<>(score.keySet());
        wanted.sort(Comparator.comparingDouble((Integer id) -> -score.get(id)));
        StructuredPruner.Result cut = StructuredPruner.remove(a, wanted);
        Float accCut = ctx.fineTuning().accuracy(cut.model());
        Model result = cut.model();
        if (retrain > 0) result = ctx.fineTuning().run(result, FineTuning.Request.of(retrain, retrainLr, "cosine", seed + 1)).model();
        Float after = ctx.fineTuning().accuracy(result);

        // bit widths from the kept weights' posterior variances, and the .nnz coder's QP that gives that step
        List<Map<String, Object>> perLayer = new ArrayList<>();
        Map<String, Integer> qpOf = new TreeMap<>();
        long groups = 0, removedGroups = 0;
        for (String w : names) {
            Tensor v = new Tensor(DType.FLOAT, mean.graph().initializer(w).shape(), variance.get(w));
            for (Map.Entry<String, int[]> e : cut.plan().removedTensors.entrySet()) {
                int at = e.getKey().lastIndexOf('@');
                if (e.getKey().substring(0, at).equals(w)) v = TensorSlicing.remove(v, Integer.parseInt(e.getKey().substring(at + 1)), e.getValue());
            }
            int bitsMin = bitsOf(v.floats(), "min"), bitsMean = bitsOf(v.floats(), "mean"), bits = bitRule.equals("min") ? bitsMin : bitsMean;
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("weight", w);
            double[] la = logAlpha.get(w);
            if (la != null) {
                int removed = 0;
                for (int[] r : removedOf(cut, w, axisByWeight.get(w))) removed += r.length;
                l.put("groups", la.length);
                l.put("removed_groups", removed);
                groups += la.length;
                removedGroups += removed;
            }
            l.put("shape", mean.graph().initializer(w).shape());
            Tensor r = result.graph().initializer(w);
            if (r != null) l.put("kept_shape", r.shape());
            l.put("bits_min_rule", bitsMin);
            l.put("bits_mean_rule", bitsMean);
            l.put("bits", bits);
            double step = Math.pow(2, -bits);
            l.put("step", step);
            if (r != null && r.dtype() == DType.FLOAT && r.rank() >= 2 && r.size() >= CodecOptions.MIN_QUANTIZED) {
                double sd = std(r.floats());
                if (sd > 0) {
                    int qp = qpOfStep(step, sd);
                    qpOf.put(w, qp);
                    l.put("qp", qp);
                    l.put("qp_min_rule", qpOfStep(Math.pow(2, -bitsMin), sd));
                    l.put("qp_mean_rule", qpOfStep(Math.pow(2, -bitsMean), sd));
                }
            }
            if (la != null) {
                // how many groups other thresholds would take, so a recipe's retry list can be chosen from one run
                Map<String, Integer> at = new LinkedHashMap<>();
                for (int th = -4; th <= 4; th++) {
                    int c = 0;
                    for (double g : la) if (g > th) c++;
                    at.put(Integer.toString(th), c);
                }
                l.put("groups_above_log_alpha", at);
            }
            perLayer.add(l);
            ctx.note("bayes-group: " + w + (la == null ? "" : ": log α median " + fmt(quantile(la, 0.5)) + ", max " + fmt(quantile(la, 1)) + ", "
                    + l.get("removed_groups") + " of " + la.length + " groups removed") + "; bits " + bitsMin + " (min rule) / " + bitsMean + " (mean rule), QP " + l.get("qp")
                    + " (min rule " + l.get("qp_min_rule") + ", mean rule " + l.get("qp_mean_rule") + ")" + (la == null ? "" : "; groups above log α −4..4: " + l.get("groups_above_log_alpha")));
        }
        report.put("accuracy_before", accBefore);
        report.put("accuracy_trained", accTrained);
        report.put("accuracy_removed", accCut);
        report.put("accuracy", after);
        if (accBefore != null && after != null) report.put("drop_points", 100 * (accBefore - after));
        report.put("groups", groups);
        report.put("removed_groups", removedGroups);
        report.put("layers", perLayer);
        report.put("qp_of", qpOf);
        report.put("plan", cut.plan().toJson());
        if (out.report() != null) report.put("seconds_per_epoch", out.report().meanEpochSeconds());
        ctx.normalization(in).writeTo(result);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("removed_groups", removedGroups);
        summary.put("groups", groups);
        summary.put("qp_of", qpOf);
        summary.put("accuracy", after);
        Map<String, Object> prov = Provenance.record(result, name(), this, Map.of("data", ctx.data().describe()), summary);
        return new PassResult(result, report, prov);
    }

    /** The entity of {@code w}'s output channels (a Conv's filters, a Gemm's output neurons), or null. */
    static Entity filterEntity(StructuredPruner.Analysis a, String w) {
        for (String k : a.deps().filterAxes)
            if (k.startsWith(w + "@") && k.substring(w.length() + 1).chars().allMatch(Character::isDigit)) return a.deps().channels.find(k);
        return null;
    }

    private static boolean anyPrunable(StructuredPruner.Analysis a, Entity e) {
        for (CoupledGroups.Component c : a.groups().components)
            if (c.prunable()) for (int[] m : c.members()) if (m[0] == e.id()) return true;
        return false;
    }

    private static List<int[]> removedOf(StructuredPruner.Result cut, String w, Integer axis) {
        int[] r = axis == null ? null : cut.plan().removedTensors.get(w + "@" + axis);
        return r == null ? List.of() : List.<int[]>of(r);
    }

    /** Significand bits of a layer from its weights' posterior variances, by {@code rule}. */
    static int bitsOf(float[] var, String rule) {
        if (var.length == 0) return 0;
        if (rule.equals("min")) {
            double min = Double.POSITIVE_INFINITY;
            for (float v : var) min = Math.min(min, v);
            return GroupKl.bits(min);
        }
        double s = 0;
        for (float v : var) s += GroupKl.bits(v);
        return (int) Math.ceil(s / var.length);
    }

    /** The .nnz QP whose step σ·2^(QP/4) is nearest to {@code step} in the log domain. */
    static int qpOfStep(double step, double sd) {
        return (int) Math.max(CodecOptions.QP_MIN, Math.min(CodecOptions.QP_MAX, Math.round(4 * Math.log(step / sd) / Math.log(2))));
    }

    private static double quantile(double[] x, double q) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.floor(q * s.length))];
    }

    private static String fmt(double v) { return String.format(java.util.Locale.ROOT, "%.2f", v); }

    private static double std(float[] x) {
        double s = 0, ss = 0;
        for (float v : x) {
            s += v;
            ss += (double) v * v;
        }
        double m = s / x.length;
        return Math.sqrt(Math.max(0, ss / x.length - m * m));
    }
}
