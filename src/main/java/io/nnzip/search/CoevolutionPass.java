package io.nnzip.search;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pass.Provenance;
import io.nnzip.prune.StructuredPruner;
import io.nnzip.prune.report.LayerCosts;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code search --method evolution-ccg}: co-evolutionary compression of a generator (after Shu et al., "Co-Evolutionary
 * Compression for Unpaired Image Translation", ICCV 2019). One population holds the generator's per-group keep ratios
 * (the {@link Encoding} and {@link GeneticSearch} of the GA: selection, crossover, mutation, repair into the MAC
 * budget, checkpoint and resume); the other is a population of {@link Discriminators} that evolve to tell compressed
 * from original images. A candidate's loss is its distillation error to the original generator on fixed noise plus
 * {@link #ADVERSARIAL} × (1 − the share of the discriminators it fools); the discriminators are trained on each
 * generation's images once it is evaluated, and parents are scored again against them before selection (their images
 * are kept, so this costs only the discriminators' forward passes). The winner is the best of the last generation
 * against the final discriminators. The winner is fine-tuned by distillation to the original generator (MSE of
 * its images for fresh noise, Adam, cosine), and, with {@code fid_classifier}, the original, the pruned and the
 * fine-tuned generators are scored by the classifier-based {@link FrechetDistance} against held-out training images.
 */
final class CoevolutionPass {
    /** Weight of the adversarial term: a candidate fooling no discriminator pays about a random half-width prune's distillation MSE. */
    static final double ADVERSARIAL = 0.02;
    /** Noise vectors every candidate is scored on, and of each epoch of the final distillation. */
    static final int SAMPLES = 256, DISTILL_SAMPLES = 4096;
    static final int DISCRIMINATORS = 4;

    private CoevolutionPass() {}

    static SearchPass.Detailed run(Model input, SearchConfig c, PassContext ctx) { return run(input, c, ctx, SAMPLES); }

    /** @param samples noise vectors every candidate is scored on (the discriminators take 3 SGD steps per sample and generation) */
    static SearchPass.Detailed run(Model input, SearchConfig c, PassContext ctx, int samples) {
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        ValueInfo in = m.graph().runtimeInputs().getFirst();
        int[] zs = in.concreteShape(1);
        if (m.graph().runtimeInputs().size() != 1 || zs == null || zs.length != 2)
            throw new NnzipException("search --method evolution-ccg needs a generator with one noise input (N, nz), this model takes " + in.shapeString());
        int nz = zs[1];
        String out = m.graph().outputNames().getFirst();
        Encoding enc = new Encoding(m, "ratios", c.minKeep(), c.roundTo());
        if (enc.groups.isEmpty()) throw new NnzipException("search: the generator has no prunable channel groups");
        int threads = ctx.threads();
        float[] z = GeneratorNet.noise(samples, c.seed()).pixels();
        float[] original = images(m, in.name(), out, z, nz, threads);
        int per = original.length / samples;
        Discriminators disc = new Discriminators(DISCRIMINATORS, per, 3 * samples, c.seed());
        Map<String, float[]> byNetwork = new HashMap<>();
        java.util.function.Function<double[], float[]> imagesOf = g -> byNetwork.computeIfAbsent(enc.network(g),
                k -> images(enc.prune(g).model(), in.name(), out, z, nz, threads));
        List<double[]> discAccuracy = new ArrayList<>();
        GeneticSearch.Evaluate eval = (genes, cost) -> {
            long t0 = System.nanoTime();
            float[] y = imagesOf.apply(genes);
            double mse = mse(y, original), fooled = disc.fooled(y);
            double loss = mse + ADVERSARIAL * (1 - fooled);
            return new GeneticSearch.Individual(genes, -loss, fooled, mse, cost, (System.nanoTime() - t0) / 1e9);
        };
        // parents are ranked against the discriminators as they are now (their images are remembered: a re-score is cheap)
        java.util.function.UnaryOperator<List<GeneticSearch.Individual>> rescore = pop -> pop.stream().map(i -> {
            GeneticSearch.Individual j = eval.of(i.genes(), i.cost());
            return new GeneticSearch.Individual(i.genes(), j.fitness(), j.accuracy(), j.loss(), i.cost(), i.seconds());
        }).toList();
        Checkpoint ck = c.checkpoint() == null ? null : new Checkpoint(Path.of(c.checkpoint()));
        GeneticSearch.Outcome res = new GeneticSearch(c, enc, eval, ck, ctx.log(), List.of(enc.full())).onGeneration((gen, pop) -> {
            disc.update(gen, original, pop.stream().map(i -> imagesOf.apply(i.genes())).toList());
            discAccuracy.add(disc.accuracy());
            ctx.log().accept(String.format("search: discriminators after generation %d: held-out accuracy %s", gen, round(disc.accuracy())));
        }).rescoreParents(rescore).run();
        // the winner: the best of the last generation scored against the final discriminators
        GeneticSearch.Individual winner = GeneticSearch.ranked(rescore.apply(res.history().getLast())).getFirst();
        StructuredPruner.Result best = enc.prune(winner.genes());
        Model pruned = best.model();
        Model tuned = c.finetune() > 0 ? distill(m, pruned, in.name(), out, nz, c, threads) : pruned;
        long macs0 = LayerCosts.totalMacs(m, 1), macs1 = LayerCosts.totalMacs(tuned, 1);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("options", io.nnzip.pass.Configs.toMap(c));
        r.put("best", SearchJson.individual(enc, winner, "fooled", "distill_mse"));
        r.put("evaluations", res.evaluations());
        r.put("evaluations_shared", res.shared());
        r.put("resumed", res.resumed());
        r.put("seconds_per_evaluation", SearchJson.secondsPerEvaluation(res.history()));
        r.put("generations", SearchJson.generations(res.history(), "fooled", "distill_mse",
                (g, j) -> { if (g < discAccuracy.size()) j.put("discriminator_accuracy", round(discAccuracy.get(g))); }));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("macs_before", macs0);
        summary.put("macs_after", macs1);
        summary.put("macs_kept", (double) macs1 / Math.max(1, macs0));
        summary.put("params_before", ModelStats.of(m).params);
        summary.put("params_after", ModelStats.of(tuned).params);
        // distillation error on fresh noise (4 × the search's samples)
        float[] zEval = GeneratorNet.noise(4 * samples, c.seed() + 99).pixels(), yEval = images(m, in.name(), out, zEval, nz, threads);
        summary.put("distill_mse_pruned", mse(images(pruned, in.name(), out, zEval, nz, threads), yEval));
        summary.put("distill_mse_finetuned", tuned == pruned ? summary.get("distill_mse_pruned") : mse(images(tuned, in.name(), out, zEval, nz, threads), yEval));
        if (c.fidClassifier() != null) summary.putAll(quality(m, pruned, tuned, in.name(), out, nz, c, ctx));
        r.putAll(summary);
        byte[] chart = SearchChart.png(res.history(), c.targetMacs(), "−(distill MSE + " + ADVERSARIAL + "·(1 − fooled))",
                "MACs kept (fraction of the original)");
        Map<String, Object> prov = Provenance.record(tuned, "search", c, Map.of("data", ctx.data().describe()), summary);
        return new SearchPass.Detailed(new PassResult(tuned, r, prov), best.plan(), chart);
    }

    /**
     * Classifier-based Fréchet distances of the original, pruned and fine-tuned generators: {@code holdout} images
     * held out of the training split against as many generated for fresh noise (the test split is never used).
     */
    private static Map<String, Object> quality(Model m, Model pruned, Model tuned, String in, String out, int nz, SearchConfig c, PassContext ctx) {
        Dataset train = ctx.data().requireTrain("search --fid-classifier");
        if (c.holdout() > train.size()) throw new NnzipException("--holdout " + c.holdout() + " is more than the training split's " + train.size() + " images");
        Dataset real = train.split(c.holdout(), c.seed())[1];
        long t0 = System.nanoTime();
        FrechetDistance.Scorer fid = new FrechetDistance.Scorer(OnnxReader.read(Path.of(c.fidClassifier())), real.pixels(), ctx.threads());
        float[] zq = GeneratorNet.noise(c.holdout(), c.seed() + 1234).pixels();
        double f0 = fid.score(images(m, in, out, zq, nz, ctx.threads()));
        double f1 = fid.score(images(pruned, in, out, zq, nz, ctx.threads()));
        double f2 = fid.score(images(tuned, in, out, zq, nz, ctx.threads()));
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("fid_images", c.holdout());
        q.put("fid_original", f0);
        q.put("fid_pruned", f1);
        q.put("fid_finetuned", f2);
        q.put("fid_relative_change", (f2 - f0) / f0);
        q.put("fid_seconds", (System.nanoTime() - t0) / 1e9);
        ctx.log().accept(String.format("search: Fréchet distance original %.3f, pruned %.3f, fine-tuned %.3f (%+.1f %%)", f0, f1, f2, 100 * (f2 - f0) / f0));
        return q;
    }

    /** The pruned generator fine-tuned to reproduce the original's images: finetune epochs of DISTILL_SAMPLES noise vectors. */
    static Model distill(Model teacher, Model student, String in, String out, int nz, SearchConfig c, int threads) {
        try (Parallel par = new Parallel(threads)) {
            Tape t = new Tape(teacher.graph(), teacher.opset(), par, 0);
            MultiObjective mseToTeacher = (batch, outs, grads) -> {
                int n = batch.size();
                float[] target = t.forward(Map.of(in, Tensor.of(batch.images().floats(), n, nz)), false).get(out).floats();
                float[] y = outs.get(out).floats(), g = grads.get(out);
                double loss = 0;
                for (int i = 0; i < y.length; i++) {
                    double d = y[i] - target[i];
                    loss += d * d;
                    g[i] = (float) (2 * d / y.length);
                }
                return (float) (loss / y.length);
            };
            Trainer.Options o = new Trainer.Options().epochs(c.finetune()).batchSize(64).lr(c.lr()).schedule("cosine").seed(c.seed()).threads(threads)
                    .feeds(b -> Map.of(in, Tensor.of(b.images().floats(), b.size(), nz))).objective(mseToTeacher, List.of(out));
            try (Trainer tr = new Trainer(student, o)) {
                tr.fit(noise(DISTILL_SAMPLES, nz, c.seed() + 5), null, Normalization.NONE, new TrainListener() {});
                return tr.model().copy();
            }
        }
    }

    private static Dataset noise(int count, int nz, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] v = new float[count * nz];
        for (int i = 0; i < v.length; i++) v[i] = (float) Encoding.gaussian(r);
        return new Dataset("noise", v, new int[count], nz, 1, 1, 1);
    }

    /** The generator's outputs for the noise rows of {@code z}, flattened, in batches of 256. */
    static float[] images(Model g, String in, String out, float[] z, int nz, int threads) {
        int n = z.length / nz;
        float[] all = null;
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(g.graph(), g.opset(), par, 0);
            for (int s = 0; s < n; s += 256) {
                int k = Math.min(256, n - s);
                float[] y = tape.forward(Map.of(in, Tensor.of(java.util.Arrays.copyOfRange(z, s * nz, (s + k) * nz), k, nz)), false).get(out).floats();
                if (all == null) all = new float[n * (y.length / k)];
                System.arraycopy(y, 0, all, s * (y.length / k), y.length);
            }
        }
        return all;
    }

    static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s / a.length;
    }

    private static List<Double> round(double[] v) {
        List<Double> o = new ArrayList<>();
        for (double x : v) o.add(Math.round(x * 1000) / 1000.0);
        return o;
    }
}
