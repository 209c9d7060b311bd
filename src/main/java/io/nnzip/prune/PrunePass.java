package io.nnzip.prune;

import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.prune.criteria.Criteria;
import io.nnzip.prune.dep.PlanApplier;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LatencyComparison;
import io.nnzip.prune.report.PruneReport;
import io.nnzip.prune.report.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prune pass from config to result: data from the context (calibration batches, accuracy on the validation
 * split, fine-tuning through the context's service), the schedule's steps ({@link Pruner}) or a replayed plan,
 * the before/after report, and provenance.
 */
public final class PrunePass {
    /** The pass result plus what a human report prints (snapshots, latency) and the plans of structured steps. */
    public record Detailed(PassResult result, Snapshot before, Snapshot after, LatencyComparison latency, List<PrunePlan> plans) {}

    private PrunePass() {}

    public static Detailed run(Model input, PruneConfig c, PassContext ctx) {
        Model m = ctx.prepare(input);
        PruneData data = PruneData.of(ctx, c.lr(), c.seed());
        boolean labelled = ctx.data().train() != null && ctx.data().train().labelled();
        int finetune = epochsWithin(c.finetune(), c.finetuneBudget(), labelled ? data : null, m);
        PruneConfig eff = finetune == c.finetune() ? c : io.nnzip.pass.Configs.with(c, Map.of("finetune", finetune));
        Accuracy acc = data.accuracy();
        Map<String, Tensor> latFeeds = c.latencyBatch() > 0 ? ValueProbe.randomFeeds(m, c.latencyBatch(), c.seed()) : null;
        Snapshot before = Snapshot.of(m, acc);
        Pruner.Outcome out;
        if (c.replay() != null) {
            List<PrunePlan> plans = PruneOutput.readPlans(Path.of(c.replay()));
            Model cur = m;
            List<String> notes = new ArrayList<>();
            for (PrunePlan p : plans) {
                cur = PlanApplier.apply(cur, p);
                notes.addAll(p.notes);
            }
            out = new Pruner.Outcome(cur, plans, new WeightMasks(), List.of(), notes);
        } else if (c.mode().equals("unstructured") && "dns".equals(c.method())) {
            out = Surgery.run(m, eff, ctx);
        } else {
            Iterable<Map<String, Tensor>> batches = data.calibration(m, c.calibBatches(), c.batchSize(), c.seed());
            var labelledBatches = data.labelled(m, c.calibBatches(), c.batchSize(), c.seed());
            Map<Integer, Double> perGroup = null;
            List<String> autoNotes = new ArrayList<>();
            if ("auto".equals(c.amountPerLayer())) {
                Sensitivity.Scan scan = Sensitivity.scan(m, c.method(), List.of(0.1, 0.3, 0.5, 0.7, 0.9), batches, labelledBatches, acc, c.seed(), ctx.log());
                perGroup = scan.amountsForMacs(1 - c.targetMacs(), Sensitivity.measuredSavings(m, c.roundTo()));
                autoNotes.add("per-group amounts from a sensitivity scan (" + scan.scoreName() + "): " + scan.describe(perGroup));
            }
            if ("kernel".equals(c.amountPerLayer())) {
                KernelGuided.Choice choice = KernelGuided.choose(m, c.amount());
                eff = io.nnzip.pass.Configs.with(eff, Map.of("layer_amounts", KernelGuided.spec(choice.amounts(), c.layerAmounts(), m.graph())));
                autoNotes.addAll(choice.notes());
            }
            if (c.structured() && Criteria.needsData(c.method()) && ctx.data().calibration() == null)
                autoNotes.add(c.method() + " ranked channels on random inputs; pass --calib-data or --data for real activations");
            out = Pruner.run(m, eff, data.fineTune(), batches, labelledBatches, perGroup, ctx.log());
            out.notes().addAll(0, autoNotes);
        }
        Model pruned = out.model();
        Map<String, Object> options = new LinkedHashMap<>(eff.toMap());
        options.put("data", ctx.data().describe());
        if (ctx.data().explicitNormalization() != null) options.put("normalize", ctx.data().explicitNormalization().describe());
        Snapshot after = Snapshot.of(pruned, acc);
        LatencyComparison latency = latFeeds == null ? null : LatencyComparison.measure(m, pruned, latFeeds, ctx.threads(), c.latencyRuns());
        Map<String, Object> summary = PruneReport.toJson(before, after, latency);
        Map<String, Object> prov = Provenance.record(pruned, "prune", eff, Map.of("data", ctx.data().describe()), null);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("options", options);
        r.putAll(summary);
        if (!out.groups().isEmpty()) r.put("groups", out.groups().stream().map(StructuredPruner::toJson).toList());
        r.put("notes", out.notes());
        return new Detailed(new PassResult(pruned, r, prov), before, after, latency, out.plans());
    }

    /** {@code epochs}, capped so that epochs × images × MACs per image stays within {@code budgetGmacs} (≥ 1 epoch). */
    public static int epochsWithin(int epochs, double budgetGmacs, PruneData data, Model m) {
        if (budgetGmacs < 0) throw new NnzipException("--finetune-budget must be ≥ 0");
        if (budgetGmacs == 0 || epochs <= 1 || data == null || data.trainingImages() == 0) return epochs;
        double perEpoch = (double) data.trainingImages() * ModelStats.of(m).macs / 1e9;
        if (!(perEpoch > 0)) return epochs;
        return (int) Math.max(1, Math.min(epochs, Math.floor(budgetGmacs / perEpoch)));
    }
}
