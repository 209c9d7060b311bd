package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.criteria.BnScaleCriterion;
import io.nnzip.prune.criteria.ChannelCriterion;
import io.nnzip.prune.criteria.Criteria;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs one prune as configured: the schedule's steps, each followed by its share of fine-tuning. Structured
 * steps compose: step k removes what is needed, from the channels still there, to reach the schedule's
 * cumulative amount of the original channels.
 */
public final class Pruner {
    public record Outcome(Model model, List<PrunePlan> plans, WeightMasks masks, List<StructuredPruner.GroupOutcome> groups, List<String> notes) {}

    private Pruner() {}

    /**
     * @param fineTune     null when no training is available (then finetune epochs must be 0)
     * @param calibration  input batches for data-driven criteria (may be null for the others)
     * @param labelled     labelled batches for gradient criteria (taylor), or null
     * @param groupAmounts per-group amounts (structured, from a sensitivity scan) or null
     */
    public static Outcome run(Model input, PruneConfig c, FineTune fineTune, Iterable<Map<String, Tensor>> calibration,
                              Iterable<io.nnzip.data.Batch> labelled, Map<Integer, Double> groupAmounts, Consumer<String> log) {
        Model cur = input.copy();
        List<String> notes = new ArrayList<>();
        for (io.nnzip.ir.canon.Rewrite r : io.nnzip.engine.Canonical.apply(cur)) notes.add("canonicalized: " + r);
        List<PrunePlan> plans = new ArrayList<>();
        WeightMasks masks = new WeightMasks();
        List<StructuredPruner.GroupOutcome> groups = List.of();
        if (c.finetune() > 0 && fineTune == null) throw new io.nnzip.ir.NnzipException("--finetune needs --data");
        if (c.mode().equals("nm")) {
            int[] nm = c.nmPair();
            Map<String, Double> spec = LayerAmounts.parse(c.layerAmounts()), amounts = LayerAmounts.resolve(spec, cur.graph());
            String stem = LayerAmounts.stemConv(cur.graph());
            if (stem != null && !spec.containsKey("first") && !amounts.containsKey(stem)) {
                amounts.put(stem, 0.0);
                notes.add("N:M: the stem convolution " + stem + " stays dense (--layer-amounts first=" + (1 - (double) nm[0] / nm[1]) + " prunes it too)");
            }
            java.util.Set<String> dense = new java.util.LinkedHashSet<>();
            amounts.forEach((w, a) -> {
                if (a == 0) dense.add(w);
            });
            Model orig = cur.copy();
            masks = io.nnzip.prune.oneshot.OneShotPruner.handles(c.method())
                    ? io.nnzip.prune.oneshot.OneShotPruner.prune(cur, c.method(), 0, nm, calibration, c.seed(), dense, log)
                    : UnstructuredPruner.nm(cur, nm[0], nm[1]);
            for (String w : dense) {
                masks.all().remove(w);
                cur.graph().initializers().put(w, orig.graph().initializer(w));
            }
            cur = tune(cur, c.finetune(), masks, fineTune, log);
            return new Outcome(cur, plans, masks, groups, notes);
        }
        double prev = 0;
        int steps = c.schedule().steps();
        for (int k = 1; k <= steps; k++) {
            double target = c.schedule().amountAt(c.amount(), k);
            if (c.structured()) {
                double rel = prev >= 1 ? 0 : (target - prev) / (1 - prev);
                Map<Integer, Double> per = null;
                if (groupAmounts != null && k == 1 && steps == 1) per = groupAmounts;
                else if (groupAmounts != null) notes.add("per-group amounts apply to oneshot schedules only; used the uniform amount");
                ChannelCriterion crit = Criteria.of(c.method(), c.seed() + k, calibration, labelled);
                StructuredPruner.Result r = StructuredPruner.prune(cur, crit, rel, c.scope(), per, c.roundTo());
                if (crit instanceof BnScaleCriterion b && b.fallbacks > 0)
                    notes.add("bn-scale: " + b.fallbacks + " channels have no BatchNormalization; ranked by filter L1 norm");
                cur = r.model();
                plans.add(r.plan());
                if (k == 1) groups = r.groups();
                // the amount is a share of each group's channels, not of the MACs; per-group amounts replace it
                log.accept(per != null
                        ? String.format("step %d/%d: removed each group's channels by its own amount", k, steps)
                        : String.format("step %d/%d: removed %.1f%% of each group's channels", k, steps, 100 * target));
            } else if (io.nnzip.prune.oneshot.OneShotPruner.handles(c.method())) {
                masks = io.nnzip.prune.oneshot.OneShotPruner.prune(cur, c.method(), target, null, calibration, c.seed() + k, java.util.Set.of(), log);
                log.accept(String.format("step %d/%d: sparsity target %.1f%%", k, steps, 100 * target));
            } else {
                Map<String, Double> fixed = layerTargets(c, LayerAmounts.resolve(LayerAmounts.parse(c.layerAmounts()), cur.graph()), k);
                masks = UnstructuredPruner.prune(cur, UnstructuredPruner.method(c.method()), target, c.scope(), fixed, c.seed() + k);
                log.accept(String.format("step %d/%d: sparsity target %.1f%%", k, steps, 100 * target));
                if (c.schedule().inTraining()) {
                    cur = tuneWhilePruning(cur, c, masks, fineTune, log);
                    break;
                }
            }
            cur = tune(cur, c.schedule().epochsAfter(c.finetune(), k), masks, fineTune, log);
            prev = target;
        }
        for (PrunePlan p : plans) for (String n : p.notes) if (!notes.contains(n)) notes.add(n);
        return new Outcome(cur, plans, masks, groups, notes);
    }

    /** The per-layer amounts at step {@code k}: each follows the schedule towards its own final amount. */
    static Map<String, Double> layerTargets(PruneConfig c, Map<String, Double> finals, int k) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        finals.forEach((n, a) -> out.put(n, c.schedule().amountAt(a, k)));
        return out;
    }

    /** gradual: steps 2..S prune inside one fine-tuning run (step 1 already pruned {@code masks}). */
    private static Model tuneWhilePruning(Model m, PruneConfig c, WeightMasks masks, FineTune ft, Consumer<String> log) {
        int steps = c.schedule().steps();
        if (c.finetune() <= 0 || ft == null) throw new io.nnzip.ir.NnzipException("--schedule gradual prunes while fine-tuning: it needs --finetune ≥ 1 and --data");
        double[] shares = new double[steps - 1];
        for (int k = 2; k <= steps; k++) shares[k - 2] = c.schedule().trainingShareAt(k);
        Map<String, Double> finals = LayerAmounts.resolve(LayerAmounts.parse(c.layerAmounts()), m.graph());
        UnstructuredPruner.Method method = UnstructuredPruner.method(c.method());
        log.accept(String.format("fine-tuning %d epoch%s, pruning %d more times in the first %.0f%%", c.finetune(), c.finetune() > 1 ? "s" : "",
                steps - 1, 100 * Schedule.GRADUAL_SPAN));
        Model t = ft.tune(m, c.finetune(), masks, shares, (k, weights, into) -> {
            WeightMasks next = UnstructuredPruner.masks(weights, method, c.schedule().amountAt(c.amount(), k), c.scope(), layerTargets(c, finals, k), c.seed() + k);
            into.all().putAll(next.all());
            log.accept(String.format("step %d/%d: sparsity target %.1f%%", k, steps, 100 * c.schedule().amountAt(c.amount(), k)));
        });
        masks.apply(t.graph());
        return t;
    }

    private static Model tune(Model m, int epochs, WeightMasks masks, FineTune ft, Consumer<String> log) {
        if (epochs <= 0 || ft == null) return m;
        log.accept("fine-tuning " + epochs + " epoch" + (epochs > 1 ? "s" : ""));
        Model t = ft.tune(m, epochs, masks);
        masks.apply(t.graph());
        return t;
    }
}
