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
            return new GeneticSearch.Individual(genes, f, cost, 0.001);
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

    static String describe(List<List<GeneticSearch.Individual>> h) {
        StringBuilder sb = new StringBuilder();
        for (List<GeneticSearch.Individual> g : h) {
            for (GeneticSearch.Individual i : g) sb.append(java.util.Arrays.toString(i.genes())).append(':').append(i.fitness()).append(' ');
            sb.append('\n');
        }
        return sb.toString();
    }
}
