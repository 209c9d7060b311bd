package io.nnzip.search;

import io.nnzip.data.Dataset;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.FineTuning;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.prune.PruneOutput;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.dep.PlanApplier;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.report.LayerCosts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search pass from config to result: hold out part of the training split as the fitness data, run the
 * genetic search (or replay a plan), score the last generation's best few again on a larger fine-tune
 * ({@link FinalRound}), prune the winner with the dependency-graph pruner, fine-tune it with the
 * shared Trainer, and report accuracy, MACs, per-evaluation wall time and the fitness/cost history.
 */
public final class SearchPass {
    /** The pass result, the plan of the chosen prune (for --plan) and the fitness/cost chart (null when replayed). */
    public record Detailed(PassResult result, PrunePlan plan, byte[] chart) {}

    private SearchPass() {}

    public static Detailed run(Model input, SearchConfig c, PassContext ctx) {
        if (c.method().equals("evolution-ccg") && c.replay() == null) return CoevolutionPass.run(input, c, ctx);
        Model m = ctx.prepare(input);
        io.nnzip.engine.Canonical.apply(m);
        Dataset train = ctx.data().requireTrain("search");
        if (c.holdout() >= train.size()) throw new NnzipException("--holdout " + c.holdout() + " leaves no training images (the training split has " + train.size() + ")");
        Dataset[] parts = train.split(c.holdout(), c.seed());
        Dataset rest = parts[0], holdout = parts[1];
        Dataset tune = c.fitnessImages() == 0 ? null : c.fitnessImages() >= rest.size() ? rest : rest.split(c.fitnessImages(), c.seed() + 1)[1];
        Fitness fitness = new Fitness(tune, holdout, ctx.normalization(m), c.lr(), c.seed(), ctx.threads(), c.fitnessEpochs());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("options", io.nnzip.pass.Configs.toMap(c));
        Model pruned;
        Model tunedAlready = null; // a latency target's winner, fine-tuned while it was judged
        PrunePlan plan;
        byte[] chart = null;
        if (c.replay() != null) {
            List<PrunePlan> plans = PruneOutput.readPlans(Path.of(c.replay()));
            pruned = m;
            for (PrunePlan p : plans) pruned = PlanApplier.apply(pruned, p);
            plan = plans.size() == 1 ? plans.getFirst() : null;
            r.put("replayed", c.replay());
        } else {
            Encoding enc = new Encoding(m, c.encoding(), c.minKeep(), c.roundTo());
            if (enc.groups.isEmpty()) throw new NnzipException("search: the model has no prunable channel groups");
            LatencyTimer.Measured timer = null;
            double target = c.targetMacs();
            double[] chosen;
            try {
                if (c.latencyTarget()) {
                    timer = LatencyTimer.ort(m, io.nnzip.prune.dep.ValueProbe.randomFeeds(m, c.latencyBatch(), c.seed()), ctx.threads(), c.latencyRuns(), c.latencyClock().equals("cpu"));
                    target = latencyRatio(c, timer, r, ctx);
                    LatencyModel lm = LatencyModel.fit(m, enc, timer, c.latencySamples(), c.seed(), ctx.log());
                    enc.costBy(lm::predict);
                    r.put("latency_model", lm.toJson());
                }
                if (timer != null) {
                    // under a latency target the fine-tune the output gets is also the finalists' judge: it leaves out the held-out split
                    FineTuning.Request req = FineTuning.Request.of(c.finetune(), c.lr(), "cosine", c.seed());
                    Fitness judge = new Fitness(null, holdout, fitness.norm(), c.lr(), c.seed(), ctx.threads());
                    FineTuning fine = ctx.fineTuning();
                    EqualLatencyRound.Tune common = genes -> {
                        long t0 = System.nanoTime();
                        Model t = fine.run(enc.prune(genes).model(), req, rest).model();
                        Fitness.Score s = judge.of(t);
                        return new EqualLatencyRound.Tuned(t, c.fitness(s.accuracy(), s.loss()), s.accuracy(), s.loss(), (System.nanoTime() - t0) / 1e9);
                    };
                    List<double[]> searched = List.of();
                    Map<String, double[]> seedFinalists = new LinkedHashMap<>();
                    if (c.method().equals("width-search")) {
                        GeneticSearch.Outcome out = search(m, c, enc, holdout, fitness, target, ctx, r);
                        chart = SearchChart.png(out.history(), target, c.rankBy(), true);
                        searched = GeneticSearch.ranked(out.history().stream().flatMap(List::stream).toList()).stream().map(GeneticSearch.Individual::genes).toList();
                        // the seed genomes besides the uniform one are finalists too: the brief fitness may have ranked them out
                        if (!out.resumed()) {
                            List<GeneticSearch.Individual> first = out.history().getFirst();
                            int at = c.seeds("uniform") ? 1 : 0;
                            for (String name : new String[] {"front-wide", "sensitivity"})
                                if (c.seeds(name) && !enc.filters() && at < Math.min(seedCount(c, enc), first.size())) seedFinalists.put("seed " + name, first.get(at++).genes());
                        }
                    }
                    LatencyTable table = new LatencyTable(c.latencyTable() == null ? null : Path.of(c.latencyTable()),
                            "batch " + c.latencyBatch() + ", threads " + ctx.threads() + ", clock " + c.latencyClock() + ", macs " + enc.baseMacs + ", round " + c.roundTo());
                    EqualLatencyRound.Result fin = EqualLatencyRound.run(enc, target, timer, c.latencyRuns(), table, searched,
                            c.method().equals("width-search") ? Math.max(1, c.finalTop()) : 0, seedFinalists, common, ctx.log());
                    chosen = fin.winner().genes();
                    tunedAlready = fin.winner().tuned().model();
                    r.put("predicted_latency_ratio", enc.cost(chosen));
                    r.put("latency", WidthCalibration.toJson(fin.winner().latency(), target));
                    if (c.latencyTable() != null) r.put("latency_table", table.toJson());
                    if (c.method().equals("width-search")) r.put("equal_latency", EqualLatencyRound.toJson(enc, fin, target));
                    else r.put("uniform_keep", enc.describe(chosen));
                    r.put("keep", enc.describe(chosen));
                } else if (c.method().equals("uniform")) {
                    chosen = enc.repair(enc.full(), target).genes();
                    r.put("uniform_keep", enc.describe(chosen));
                } else {
                    GeneticSearch.Outcome out = search(m, c, enc, holdout, fitness, target, ctx, r);
                    // the final round on every training image outside the held-out split, same held-out images; at the
                    // output's budget the seeds are finalists too: the brief fitness that ranked them may not carry to it
                    List<GeneticSearch.Individual> seeded = c.finalEpochs() == 0 ? List.of() : out.history().getFirst().subList(0, seedCount(c, enc));
                    FinalRound.Result fin = FinalRound.run(out.history().getLast(), out.best(), c.finalTop(), seeded, enc::network,
                            finalJudge(c, enc, rest, holdout, fitness, ctx), ctx.log());
                    chosen = fin.winner().genes();
                    chart = SearchChart.png(out.history(), target, c.rankBy(), c.latencyTarget());
                    r.put("best", SearchJson.individual(enc, fin.winner(), "accuracy", "loss"));
                    if (!fin.rescored().isEmpty()) {
                        r.put("search_best", SearchJson.individual(enc, out.best(), "accuracy", "loss"));
                        r.put("final_round", fin.rescored().stream().map(i -> SearchJson.individual(enc, i, "accuracy", "loss")).toList());
                    }
                }
            } finally {
                if (timer != null) timer.close();
            }
            StructuredPruner.Result best = enc.prune(chosen);
            pruned = best.model();
            plan = best.plan();
        }
        FineTuning ft = ctx.fineTuning();
        Float accOriginal = ft.accuracy(m), accPruned = ft.accuracy(pruned);
        Model tuned = tunedAlready != null ? tunedAlready : ft.run(pruned, FineTuning.Request.of(c.finetune(), c.lr(), "cosine", c.seed())).model();
        ctx.normalization(m).writeTo(tuned);
        Float accTuned = c.finetune() > 0 ? ft.accuracy(tuned) : accPruned;
        long macs0 = LayerCosts.totalMacs(m, 1), macs1 = LayerCosts.totalMacs(tuned, 1);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("macs_before", macs0);
        summary.put("macs_after", macs1);
        summary.put("macs_kept", (double) macs1 / Math.max(1, macs0));
        summary.put("params_before", ModelStats.of(m).params);
        summary.put("params_after", ModelStats.of(tuned).params);
        summary.put("accuracy_original", accOriginal);
        summary.put("accuracy_pruned", accPruned);
        summary.put("accuracy_finetuned", accTuned);
        if (accOriginal != null && accTuned != null) summary.put("drop_points", 100 * (accOriginal - accTuned));
        r.putAll(summary);
        if (plan != null) r.put("notes", plan.notes);
        Map<String, Object> prov = Provenance.record(tuned, "search", c, Map.of("data", ctx.data().describe()), summary);
        return new Detailed(new PassResult(tuned, r, prov), plan, chart);
    }

    /**
     * The latency target as a ratio of the original's latency: --target-latency as given, or --target-latency-ms over
     * the original's median latency measured now (at --latency-batch, with the context's threads).
     */
    private static double latencyRatio(SearchConfig c, LatencyTimer.Measured timer, Map<String, Object> r, PassContext ctx) {
        double originalMs = timer.originalMs(Math.max(15, 3 * c.latencyRuns()));
        r.put("original_latency_ms", originalMs);
        r.put("latency_batch", c.latencyBatch());
        r.put("latency_threads", ctx.threads());
        r.put("latency_clock", c.latencyClock());
        r.put("load_average", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        if (c.targetLatency() > 0) return c.targetLatency();
        double t = c.targetLatencyMs() / originalMs;
        if (t >= 1) throw new NnzipException("search: --target-latency-ms " + c.targetLatencyMs() + " is not below the original's measured " + String.format("%.3f", originalMs) + " ms");
        ctx.log().accept(String.format("search: target %.3f ms = %.4f of the original's measured %.3f ms", c.targetLatencyMs(), t, originalMs));
        return t;
    }

    /**
     * The initial population's seed genomes (--seed-population): the uniform prune, and the per-group amounts a
     * one-group-at-a-time sensitivity scan picks for the MAC budget (as prune --amount-per-layer auto does), scored
     * by accuracy on the held-out split without fine-tuning (never the test split). A resumed search skips the scan.
     */
    static List<double[]> seeds(Model m, SearchConfig c, Encoding enc, Dataset holdout, Fitness fitness, PassContext ctx, Map<String, Object> r) {
        List<double[]> out = new ArrayList<>();
        if (c.seeds("uniform")) out.add(enc.full());
        if (c.seeds("front-wide")) {
            if (enc.filters()) ctx.log().accept("search: --seed-population front-wide needs --encoding ratios; not seeded");
            else {
                out.add(enc.frontWide());
                r.put("front_wide_seed", enc.describe(enc.frontWide()));
            }
        }
        if (c.seeds("sensitivity") && !c.resume()) {
            if (enc.filters()) {
                ctx.log().accept("search: --seed-population sensitivity needs --encoding ratios; not seeded");
            } else {
                Fitness plain = new Fitness(null, holdout, fitness.norm(), c.lr(), c.seed(), ctx.threads());
                long t0 = System.nanoTime();
                io.nnzip.prune.Sensitivity.Scan scan = io.nnzip.prune.Sensitivity.scan(m, "l1-filter", List.of(0.1, 0.3, 0.5, 0.7, 0.9), List.of(), null,
                        p -> 100 * plain.of(p).accuracy(), c.seed(), s -> {});
                Map<Integer, Double> amounts = scan.amountsForMacs(1 - c.targetMacs(), io.nnzip.prune.Sensitivity.measuredSavings(m, c.roundTo()));
                double[] g = new double[enc.length()];
                for (int i = 0; i < g.length; i++) g[i] = Math.max(enc.minKeep, 1 - amounts.getOrDefault(enc.groups.get(i).id(), 0.0));
                out.add(g);
                double secs = (System.nanoTime() - t0) / 1e9;
                ctx.log().accept(String.format("search: sensitivity seed %s (%d held-out scans, %.1f s)", scan.describe(amounts), 5 * enc.groups.size(), secs));
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("keep", enc.describe(g));
                j.put("scans", 5 * enc.groups.size());
                j.put("seconds", secs);
                r.put("sensitivity_seed", j);
            }
        }
        return out;
    }

    /** The genetic search (width search: under the predicted latency budget), its history and counts in the report. */
    private static GeneticSearch.Outcome search(Model m, SearchConfig c, Encoding enc, Dataset holdout, Fitness fitness, double target, PassContext ctx, Map<String, Object> r) {
        Checkpoint ck = c.checkpoint() == null ? null : new Checkpoint(Path.of(c.checkpoint()));
        List<double[]> seeds = seeds(m, c, enc, holdout, fitness, ctx, r);
        GeneticSearch.Outcome out = new GeneticSearch(c, enc, evaluate(c, enc, fitness), ck, ctx.log(), seeds).target(target).run();
        r.put("search_best", SearchJson.individual(enc, out.best(), "accuracy", "loss"));
        r.put("evaluations", out.evaluations());
        r.put("evaluations_shared", out.shared());
        r.put("resumed", out.resumed());
        r.put("seconds_per_evaluation", SearchJson.secondsPerEvaluation(out.history()));
        r.put("generations", SearchJson.generations(out.history(), "accuracy", "loss", (g, j) -> {}));
        return out;
    }

    /** How many genomes at the head of the initial population are --seed-population's (a resumed search kept them there). */
    private static int seedCount(SearchConfig c, Encoding enc) {
        int n = (c.seeds("uniform") ? 1 : 0) + (c.seeds("front-wide") && !enc.filters() ? 1 : 0) + (c.seeds("sensitivity") && !enc.filters() ? 1 : 0);
        return Math.min(n, c.population());
    }

    /**
     * The final round's judge: --final-seeds fine-tunes of the pruned genome on {@code rest} (the brief one, or with
     * --final-epochs the output's: that many epochs, cosine from --lr), held-out accuracy and loss averaged.
     */
    private static GeneticSearch.Evaluate finalJudge(SearchConfig c, Encoding enc, Dataset rest, Dataset holdout, Fitness brief, PassContext ctx) {
        Fitness plain = new Fitness(null, holdout, brief.norm(), c.lr(), c.seed(), ctx.threads());
        return (genes, cost) -> {
            double acc = 0, loss = 0, secs = 0;
            for (int j = 0; j < c.finalSeeds(); j++) {
                long t0 = System.nanoTime();
                Model pruned = enc.prune(genes).model();
                Fitness.Score s = c.finalEpochs() == 0
                        ? new Fitness(rest, holdout, brief.norm(), c.lr(), c.seed() + j, ctx.threads()).of(pruned)
                        : plain.of(ctx.fineTuning().run(pruned, FineTuning.Request.of(c.finalEpochs(), c.lr(), "cosine", c.seed() + j), rest).model());
                acc += s.accuracy();
                loss += s.loss();
                secs += (System.nanoTime() - t0) / 1e9;
            }
            acc /= c.finalSeeds();
            loss /= c.finalSeeds();
            return new GeneticSearch.Individual(genes, c.fitness(acc, loss), acc, loss, cost, secs);
        };
    }

    /** A genome's evaluation by the given fitness, ranked as the config says. */
    private static GeneticSearch.Evaluate evaluate(SearchConfig c, Encoding enc, Fitness fitness) {
        return (genes, cost) -> {
            Fitness.Score s = fitness.of(enc.prune(genes).model());
            return new GeneticSearch.Individual(genes, c.fitness(s.accuracy(), s.loss()), s.accuracy(), s.loss(), cost, s.seconds());
        };
    }
}
