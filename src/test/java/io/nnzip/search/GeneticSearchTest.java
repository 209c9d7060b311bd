package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.Configs;
import io.nnzip.prune.StructuredPruner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The genetic search on PyTorch's exported Fashion-MNIST CNN (convs 16/32/32 + Linear) with a cheap synthetic
 * fitness: the budget is met by a hand count of MACs, a seed fixes the search, a killed search resumed from its
 * checkpoint continues exactly as an unbroken one, and filter genes remove exactly the channels they name.
 */
class GeneticSearchTest {
    static final Path CNN = Path.of("src/test/resources/pytorch-normalized/cnn.onnx");

    static Model cnn() {
        Model m = OnnxReader.read(CNN);
        io.nnzip.engine.Canonical.apply(m);
        return m;
    }

    /** MACs of this CNN by hand: 3×3 convs at 28², 14², 7² (pads keep the size, pools halve it) and Linear(C×49 → 10). */
    static long handMacs(Model m) {
        List<int[]> convs = new ArrayList<>();
        int[] fc = null;
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            int[] s = e.getValue().shape();
            if (s.length == 4) convs.add(s);
            if (s.length == 2) fc = s;
        }
        int[] hw = {28 * 28, 14 * 14, 7 * 7};
        long macs = 0;
        // convs in graph order: conv0 has 1 input channel; the others follow by their input width
        List<int[]> ordered = orderByChain(convs);
        for (int i = 0; i < 3; i++) macs += (long) ordered.get(i)[0] * ordered.get(i)[1] * 9 * hw[i];
        return macs + (long) fc[0] * fc[1];
    }

    static List<int[]> orderByChain(List<int[]> convs) {
        List<int[]> out = new ArrayList<>();
        int in = 1;
        List<int[]> left = new ArrayList<>(convs);
        while (!left.isEmpty()) {
            final int want = in;
            int[] next = left.stream().filter(s -> s[1] == want).findFirst().orElseThrow();
            left.remove(next);
            out.add(next);
            in = next[0];
        }
        return out;
    }

    @Test
    void repairMeetsTheBudgetByAHandCountAndTheFullModelCountsAsOne() {
        Model m = cnn();
        assertEquals(1_483_328, handMacs(m));
        for (String kind : List.of("ratios", "filters")) {
            Encoding enc = new Encoding(m, kind, 0.1, 1);
            assertEquals(1.0, enc.cost(enc.full()), 1e-12);
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < 4; i++) {
                Encoding.Repaired rep = enc.repair(enc.random(r), 0.4);
                Model p = enc.prune(rep.genes()).model();
                long hand = handMacs(p);
                assertTrue(hand <= 0.4 * 1_483_328, kind + ": " + hand + " MACs");
                assertEquals(hand / 1_483_328.0, rep.cost(), 1e-9, kind);
            }
        }
    }

    @Test
    void filterGenesRemoveExactlyTheChannelsTheyName() {
        Model m = cnn();
        Encoding enc = new Encoding(m, "filters", 0.1, 1);
        double[] g = enc.full();
        // first group = the first conv's 16 filters: drop filters 1, 5 and 9
        int first = enc.groups.getFirst().prunable().size();
        assertEquals(16, first);
        for (int i : new int[] {1, 5, 9}) g[i] = 0;
        StructuredPruner.Result res = enc.prune(g);
        String w = enc.groups.getFirst().label().split(",")[0].trim();
        float[] orig = m.graph().initializer(w).toFloats(), got = res.model().graph().initializer(w).toFloats();
        assertEquals(13 * 9, got.length);
        int row = 0;
        for (int f = 0; f < 16; f++) {
            if (f == 1 || f == 5 || f == 9) continue;
            for (int k = 0; k < 9; k++) assertEquals(orig[f * 9 + k], got[row * 9 + k], 0f, "filter " + f);
            row++;
        }
    }

    /** A synthetic fitness that prefers keeping the later layers, cheap enough to run whole searches in a test. */
    static GeneticSearch.Evaluate synthetic(Encoding enc, Map<String, Integer> calls) {
        return (genes, cost) -> {
            calls.merge("n", 1, Integer::sum);
            double f = 0;
            for (int i = 0; i < genes.length; i++) f += (i + 1) * genes[i];
            return new GeneticSearch.Individual(genes, f, f, -f, cost, 0.001);
        };
    }

    static SearchConfig config(int generations, long seed, Path ck, boolean resume) {
        return Configs.with(SearchConfig.of(Map.of()), Map.of("population", 4, "generations", generations, "seed", seed,
                "checkpoint", ck.toString(), "resume", resume));
    }

    @Test
    void aSeedFixesTheSearchAndAResumedSearchContinuesExactly(@TempDir Path dir) {
        Model m = cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        Map<String, Integer> calls = new HashMap<>();
        GeneticSearch.Outcome whole = new GeneticSearch(config(2, 7, dir.resolve("a.json"), false), enc, synthetic(enc, calls), new Checkpoint(dir.resolve("a.json")), s -> {}).run();
        GeneticSearch.Outcome again = new GeneticSearch(config(2, 7, dir.resolve("b.json"), false), enc, synthetic(enc, calls), new Checkpoint(dir.resolve("b.json")), s -> {}).run();
        assertEquals(describe(whole.history()), describe(again.history()));
        // "killed" after generation 1, then resumed to 2
        Path ck = dir.resolve("c.json");
        new GeneticSearch(config(1, 7, ck, false), enc, synthetic(enc, calls), new Checkpoint(ck), s -> {}).run();
        calls.clear();
        GeneticSearch.Outcome resumed = new GeneticSearch(config(2, 7, ck, true), enc, synthetic(enc, calls), new Checkpoint(ck), s -> {}).run();
        assertTrue(resumed.resumed());
        assertEquals(describe(whole.history()), describe(resumed.history()));
        assertEquals(resumed.evaluations(), (int) calls.getOrDefault("n", 0), "evaluated only what the checkpoint did not hold");
        assertArrayEquals(whole.best().genes(), resumed.best().genes());
        GeneticSearch.Outcome other = new GeneticSearch(config(2, 8, dir.resolve("d.json"), false), enc, synthetic(enc, calls), new Checkpoint(dir.resolve("d.json")), s -> {}).run();
        assertNotEquals(describe(whole.history()), describe(other.history()), "another seed searches differently");
        // a checkpoint of another search is refused
        assertThrows(io.nnzip.ir.NnzipException.class, () -> new Checkpoint(ck).read(config(2, 8, ck, true), enc.length()));
    }

    @Test
    void theSearchFindsWhatTheFitnessRewardsWithinTheBudget(@TempDir Path dir) {
        Model m = cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        SearchConfig c = Configs.with(config(4, 1, dir.resolve("e.json"), false), Map.of("population", 8));
        GeneticSearch.Outcome o = new GeneticSearch(c, enc, synthetic(enc, new HashMap<>()), null, s -> {}).run();
        GeneticSearch.Individual uniform = o.history().getFirst().getFirst();
        assertTrue(o.best().fitness() > uniform.fitness() + 0.1, "best " + o.best().fitness() + " vs the uniform prune's " + uniform.fitness());
        assertTrue(o.best().cost() <= 0.4);
        // the fitness weights later layers more and the middle conv holds most MACs: the last group keeps more than it
        assertTrue(o.best().genes()[2] > o.best().genes()[1], java.util.Arrays.toString(o.best().genes()));
    }

    @Test
    void identicalGenomesShareOneEvaluationAndAreCounted() {
        Model m = cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        Map<String, Integer> calls = new HashMap<>();
        GeneticSearch gs = new GeneticSearch(SearchConfig.of(Map.of()), enc, synthetic(enc, calls), null, s -> {});
        double[] a = {0.5, 0.5, 0.5}, b = {0.5, 0.5, 0.5}, c = {0.9, 0.3, 0.6};
        GeneticSearch.Individual first = gs.evaluate(a);
        assertSame(first, gs.evaluate(b), "an identical genome gets the same evaluation");
        assertEquals(1, (int) calls.get("n"));
        assertEquals(1, gs.evaluations());
        assertEquals(1, gs.shared());
        gs.evaluate(c);
        assertEquals(2, (int) calls.get("n"));
        assertEquals(2, gs.evaluations());
        assertEquals(1, gs.shared());
        // keep ratios a hair apart round to the same channels: the same network (equal pruned weights), one evaluation,
        // but each genome keeps its own genes
        double[] d = {0.9, 0.3 + 1e-9, 0.6};
        GeneticSearch.Individual di = gs.evaluate(d), ci = gs.evaluate(c);
        assertFalse(java.util.Arrays.equals(di.genes(), ci.genes()));
        assertEquals(enc.prune(ci.genes()).model().graph().initializers(), enc.prune(di.genes()).model().graph().initializers());
        assertEquals(2, (int) calls.get("n"));
        assertEquals(3, gs.shared());
        assertEquals(ci.fitness(), di.fitness());
    }

    static GeneticSearch.Individual ind(double gene, double fitness) {
        return new GeneticSearch.Individual(new double[] {gene}, fitness, fitness, -fitness, 0.4, 0);
    }

    @Test
    void theFinalRoundRescoresTheTopDistinctGenomesAndPicksTheTrueBest() {
        // the search's (noisy) fitness ranks genes 1 > 2 (twice) > 3 > 4 > 5; the true fitness is the gene itself,
        // so among the top three distinct genomes (1, 2, 3) gene 3 is best; 5 is better still but ranked too low
        List<GeneticSearch.Individual> last = List.of(ind(4, 0.60), ind(2, 0.80), ind(1, 0.90), ind(2, 0.80), ind(5, 0.50), ind(3, 0.70));
        List<Double> rescored = new ArrayList<>();
        GeneticSearch.Evaluate truth = (genes, cost) -> {
            rescored.add(genes[0]);
            return new GeneticSearch.Individual(genes, genes[0], genes[0], -genes[0], cost, 0);
        };
        FinalRound.Result r = FinalRound.run(last, last.get(2), 3, List.of(), g -> java.util.Arrays.toString(g), truth, s -> {});
        assertEquals(List.of(1.0, 2.0, 3.0), rescored, "the three best distinct genomes in the search's order, each once");
        assertEquals(3.0, r.winner().genes()[0]);
        assertEquals(3.0, r.winner().fitness(), "the winner carries its rescored fitness");
        rescored.clear();
        FinalRound.Result none = FinalRound.run(last, last.get(2), 1, List.of(), g -> java.util.Arrays.toString(g), truth, s -> {});
        assertTrue(rescored.isEmpty());
        assertSame(last.get(2), none.winner());
        // with rescored fitness tied, the genome the search ranked higher wins
        GeneticSearch.Evaluate flat = (genes, cost) -> new GeneticSearch.Individual(genes, 1, 1, -1, cost, 0);
        assertEquals(1.0, FinalRound.run(last, last.get(2), 4, List.of(), g -> java.util.Arrays.toString(g), flat, s -> {}).winner().genes()[0]);
    }

    @Test
    void theSeedsJoinTheFinalistsOnceAndCanWin() {
        // the search ranked the seeds (genes 6 and 2) low; the final round's truth (the gene) prefers seed 6. Seed 2
        // prunes to the same network as a top-k genome and is rescored once, with the top-k's entries first
        List<GeneticSearch.Individual> last = List.of(ind(1, 0.90), ind(2, 0.80), ind(3, 0.70));
        List<GeneticSearch.Individual> seeds = List.of(ind(6, 0.10), ind(2, 0.20));
        List<Double> rescored = new ArrayList<>();
        GeneticSearch.Evaluate truth = (genes, cost) -> {
            rescored.add(genes[0]);
            return new GeneticSearch.Individual(genes, genes[0], genes[0], -genes[0], cost, 0);
        };
        FinalRound.Result r = FinalRound.run(last, last.getFirst(), 2, seeds, g -> java.util.Arrays.toString(g), truth, s -> {});
        assertEquals(List.of(1.0, 2.0, 6.0), rescored);
        assertEquals(6.0, r.winner().genes()[0]);
        assertEquals(3, r.rescored().size());
        // k ≤ 1 is no final round at all, seeds or not
        rescored.clear();
        assertSame(last.getFirst(), FinalRound.run(last, last.getFirst(), 1, seeds, g -> java.util.Arrays.toString(g), truth, s -> {}).winner());
        assertTrue(rescored.isEmpty());
        assertThrows(io.nnzip.ir.NnzipException.class, () -> SearchConfig.of(Map.of("final_seeds", 0)));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> SearchConfig.of(Map.of("final_epochs", -1)));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> SearchConfig.of(Map.of("method", "uniform", "final_epochs", 2)));
        assertEquals(0, SearchConfig.of(Map.of()).finalEpochs(), "the brief final round stays the default");
        assertEquals(1, SearchConfig.of(Map.of()).finalSeeds());
    }

    @Test
    void rankByLossOrAccuracy(@TempDir Path dir) throws Exception {
        SearchConfig loss = SearchConfig.of(Map.of()), acc = SearchConfig.of(Map.of("rank_by", "accuracy"));
        assertEquals("loss", loss.rankBy());
        assertEquals(3, loss.finalTop());
        // a candidate with lower loss but lower accuracy wins under loss and loses under accuracy
        assertTrue(loss.fitness(0.80, 0.50) > loss.fitness(0.82, 0.60));
        assertTrue(acc.fitness(0.80, 0.50) < acc.fitness(0.82, 0.60));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> SearchConfig.of(Map.of("rank_by", "f1")));
        // the ranking is part of a checkpoint's identity, and an older checkpoint format is refused with one line
        Encoding enc = new Encoding(cnn(), "ratios", 0.1, 1);
        Path ck = dir.resolve("ck.json");
        new GeneticSearch(config(0, 7, ck, false), enc, synthetic(enc, new HashMap<>()), new Checkpoint(ck), s -> {}).run();
        SearchConfig other = Configs.with(config(0, 7, ck, true), Map.of("rank_by", "accuracy"));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> new Checkpoint(ck).read(other, enc.length()));
        String text = java.nio.file.Files.readString(ck).replace("\"nnzip_search_checkpoint\":" + Checkpoint.VERSION, "\"nnzip_search_checkpoint\":1");
        java.nio.file.Files.writeString(ck, text);
        var e = assertThrows(io.nnzip.ir.NnzipException.class, () -> new Checkpoint(ck).read(config(0, 7, ck, true), enc.length()));
        assertTrue(e.getMessage().contains("version 1") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void noveltyTriesSpendTheGenerationsOnNetworksNotYetEvaluated(@TempDir Path dir) {
        Encoding enc = new Encoding(cnn(), "ratios", 0.1, 1);
        Map<String, Integer> plain = new HashMap<>(), novel = new HashMap<>();
        SearchConfig c = Configs.with(config(4, 3, dir.resolve("n.json"), false), Map.of("population", 6, "mutation", 0.1, "novelty_tries", 0));
        GeneticSearch.Outcome a = new GeneticSearch(c, enc, synthetic(enc, plain), null, s -> {}).run();
        GeneticSearch.Outcome b = new GeneticSearch(Configs.with(c, Map.of("novelty_tries", 4)), enc, synthetic(enc, novel), null, s -> {}).run();
        // the same number of places (6 + 4 × 4 = 22); every one is an evaluation or a shared one, counted by the fitness calls
        assertEquals(22, a.evaluations() + a.shared());
        assertEquals(22, b.evaluations() + b.shared());
        assertEquals(a.evaluations(), (int) plain.get("n"));
        assertEquals(b.evaluations(), (int) novel.get("n"));
        assertTrue(b.evaluations() > a.evaluations(), "with retries " + b.evaluations() + " networks evaluated, without " + a.evaluations());
    }

    static String describe(List<List<GeneticSearch.Individual>> h) {
        StringBuilder sb = new StringBuilder();
        for (List<GeneticSearch.Individual> g : h) {
            for (GeneticSearch.Individual i : g) sb.append(java.util.Arrays.toString(i.genes())).append(':').append(i.fitness()).append(' ');
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * --seed-population: the seed genomes (the uniform prune and the sensitivity table's per-group amounts) are the
     * first members of generation 0, repaired into the budget (checked by a hand count of MACs); "none" leaves
     * generation 0 to random genomes. The sensitivity seed is scored on a held-out set without fine-tuning.
     */
    @Test
    void seededGenomesOpenGenerationZeroWithinTheBudget(@TempDir Path dir) {
        Model m = cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        long full = handMacs(m);
        int n = 64;
        float[] px = new float[n * 28 * 28];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextDouble();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 10;
        io.nnzip.data.Dataset holdout = new io.nnzip.data.Dataset("noise", px, y, 1, 28, 28, 10);
        Fitness fit = new Fitness(null, holdout, io.nnzip.data.Normalization.NONE, 1e-3f, 1, 1);
        SearchConfig c = Configs.with(config(0, 3, dir.resolve("s.json"), false), Map.of("population", 5, "target_macs", 0.4));
        Map<String, Object> report = new HashMap<>();
        List<double[]> seeds = SearchPass.seeds(m, c, enc, holdout, fit, io.nnzip.pass.PassContext.builder().build(), report);
        assertEquals(2, seeds.size());
        assertArrayEquals(enc.full(), seeds.get(0));
        assertEquals(enc.length(), seeds.get(1).length);
        for (double g : seeds.get(1)) assertTrue(g >= 0.1 && g <= 1, "keep ratio " + g);
        assertTrue(report.containsKey("sensitivity_seed"));
        GeneticSearch.Outcome out = new GeneticSearch(c, enc, synthetic(enc, new HashMap<>()), null, s -> {}, seeds).run();
        List<GeneticSearch.Individual> gen0 = out.history().getFirst();
        assertEquals(5, gen0.size());
        for (int k = 0; k < 2; k++) {
            double[] want = enc.repair(seeds.get(k), 0.4).genes();
            assertArrayEquals(want, gen0.get(k).genes(), 1e-12);
        }
        for (GeneticSearch.Individual i : gen0) {
            long macs = handMacs(enc.prune(i.genes()).model());
            assertTrue(macs <= 0.4 * full, "generation 0 keeps " + macs + " of " + full + " MACs");
            assertEquals((double) macs / full, i.cost(), 0.01);
        }
        SearchConfig none = Configs.with(c, Map.of("seed_population", "none"));
        assertTrue(SearchPass.seeds(m, none, enc, holdout, fit, io.nnzip.pass.PassContext.builder().build(), report).isEmpty());
        GeneticSearch.Outcome rand = new GeneticSearch(none, enc, synthetic(enc, new HashMap<>()), null, s -> {}, List.of()).run();
        assertFalse(java.util.Arrays.equals(enc.repair(enc.full(), 0.4).genes(), rand.history().getFirst().getFirst().genes()));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> Configs.with(c, Map.of("seed_population", "uniform,best")));
    }
}
