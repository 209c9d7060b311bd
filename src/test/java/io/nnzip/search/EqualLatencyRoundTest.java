package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The width search's final round on PyTorch's exported Fashion-MNIST CNN with a fake device (latency = a law of the
 * hand-counted MACs, seeded noise) and a fake common fine-tune whose held-out score is a hand rule on the pruned
 * network's channel counts: the uniform prune is always a finalist, calibrated exactly as {@code --method uniform}
 * calibrates it, and a searched genome replaces it only when it scores better; the whole search is deterministic
 * for a seed.
 */
class EqualLatencyRoundTest {
    static final double TARGET = 0.6;

    /** Output channels of the three convs of a pruned copy of the CNN, read from its weights (not from the genes). */
    static int[] channels(Model m) {
        List<Integer> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) if (e.getValue().shape().length == 4) out.add(e.getValue().shape()[0]);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static Encoding encoding(int roundTo) {
        Model m = GeneticSearchTest.cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, roundTo);
        enc.costBy(LatencyModel.fit(m, enc, WidthSearchTest.fake(x -> 0.25 + 0.75 * x, 0.01, 9, new int[1]), 6, 5, s -> {})::predict);
        return enc;
    }

    /** A fake fine-tune + held-out score from the pruned network's channel counts (16 / 32 / 32 in the original). */
    static EqualLatencyRound.Tune tune(Encoding enc, java.util.function.ToDoubleFunction<int[]> score, List<int[]> calls) {
        return genes -> {
            int[] ch = channels(enc.prune(genes).model());
            calls.add(ch);
            double f = score.applyAsDouble(ch);
            return new EqualLatencyRound.Tuned(null, f, f, -f, 0);
        };
    }

    static List<double[]> searched(Encoding enc) {
        List<double[]> out = new ArrayList<>();
        for (double[] g : new double[][] {{1, 0.4, 0.9}, {0.5, 0.9, 0.9}, {0.9, 0.9, 0.3}}) out.add(enc.repair(g, TARGET).genes());
        return out;
    }

    /** How far a network is from uniform widths: the spread of its kept shares (the original has 16 / 32 / 32 channels). */
    static double spread(int[] ch) {
        double a = ch[0] / 16.0, b = ch[1] / 32.0, c = ch[2] / 32.0;
        return Math.max(a, Math.max(b, c)) - Math.min(a, Math.min(b, c));
    }

    @Test
    void theUniformPruneIsAFinalistAndWinsWhenItScoresBest() {
        Encoding enc = encoding(1);
        List<int[]> calls = new ArrayList<>();
        // the fake judge prefers uniform widths: any searched genome (all non-uniform) scores lower
        EqualLatencyRound.Result r = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(),
                searched(enc), 3, Map.of(), tune(enc, ch -> -spread(ch), calls), s -> {});
        assertEquals("uniform", r.uniform().label());
        assertEquals("uniform", r.winner().label(), "the judge prefers uniform widths but " + r.winner().label() + " won");
        int[] ch = channels(enc.prune(r.winner().genes()).model());
        assertTrue(spread(ch) <= 1 / 16.0 + 1e-12, "uniform widths, up to one channel of rounding: " + java.util.Arrays.toString(ch));
        // the uniform finalist has the widths the uniform arm keeps on the same device (same noise seed)
        WidthCalibration.Result arm = UniformLadder.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(), s -> {});
        assertArrayEquals(arm.genes(), r.uniform().genes());
        // every eligible finalist was fine-tuned once, the uniform prune first
        long eligible = r.finalists().stream().filter(EqualLatencyRound.Finalist::eligible).count();
        assertEquals(eligible, calls.size());
        assertTrue(r.finalists().size() >= 3, "the uniform prune and searched genomes: " + r.finalists().size());
        for (EqualLatencyRound.Finalist f : r.finalists()) assertTrue(f.latency().within(), f.label() + " measured " + f.latency().check());
    }

    @Test
    void aSearchedGenomeWinsOnlyWhenItScoresBetterThanTheUniformPrune() {
        Encoding enc = encoding(1);
        // the judge prefers channels in the last conv: a searched genome that keeps more of it beats the uniform prune
        EqualLatencyRound.Result r = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(),
                searched(enc), 3, Map.of(), tune(enc, ch -> ch[2] - 0.01 * ch[0], new ArrayList<>()), s -> {});
        assertNotEquals("uniform", r.winner().label());
        assertTrue(r.winner().tuned().fitness() > r.uniform().tuned().fitness());
        for (EqualLatencyRound.Finalist f : r.finalists())
            if (f.eligible()) assertTrue(f.tuned().fitness() <= r.winner().tuned().fitness(), f.label());
        // a judge that cannot tell them apart keeps the uniform prune
        EqualLatencyRound.Result tie = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(),
                searched(enc), 3, Map.of(), tune(enc, ch -> 1, new ArrayList<>()), s -> {});
        assertEquals("uniform", tie.winner().label());
    }

    @Test
    void aSeedGenomeIsAFinalistAfterTheSearchedOnes() {
        Encoding enc = encoding(1);
        List<int[]> calls = new ArrayList<>();
        // the judge prefers the first conv whole (16 channels): the front-wide seed (1, 0.75, 0.75 before calibration) keeps it
        Map<String, double[]> seeds = new java.util.LinkedHashMap<>();
        seeds.put("seed front-wide", enc.repair(enc.frontWide(), TARGET).genes());
        EqualLatencyRound.Result r = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(),
                List.of(), 0, seeds, tune(enc, ch -> ch[0], calls), s -> {});
        assertEquals(List.of("uniform", "seed front-wide"), r.finalists().stream().map(EqualLatencyRound.Finalist::label).toList());
        assertEquals("seed front-wide", r.winner().label());
        assertTrue(channels(enc.prune(r.winner().genes()).model())[0] > channels(enc.prune(r.uniform().genes()).model())[0]);
        assertTrue(r.winner().latency().within(), "measured " + r.winner().latency().check());
        assertEquals(2, calls.size());
        // a seed that prunes to the uniform prune's network is not judged again
        Map<String, double[]> same = Map.of("seed x", r.uniform().genes());
        EqualLatencyRound.Result r2 = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> x, 0.01, 3, new int[1]), 10, LatencyTable.none(),
                List.of(), 0, same, tune(enc, ch -> ch[0], new ArrayList<>()), s -> {});
        assertEquals(1, r2.finalists().size());
    }

    @Test
    void aWholeWidthSearchIsDeterministicForASeed() {
        List<String> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Encoding enc = encoding(8);
            SearchConfig c = SearchConfig.of(Map.of("method", "width-search", "target_latency", TARGET, "population", 4, "generations", 2, "seed", 4));
            GeneticSearch.Outcome o = new GeneticSearch(c, enc, GeneticSearchTest.synthetic(enc, new HashMap<>()), null, s -> {}).target(TARGET).run();
            List<double[]> ranked = GeneticSearch.ranked(o.history().stream().flatMap(List::stream).toList()).stream().map(GeneticSearch.Individual::genes).toList();
            EqualLatencyRound.Result r = EqualLatencyRound.run(enc, TARGET, WidthSearchTest.fake(x -> 0.2 + 0.8 * x, 0.02, 5, new int[1]), 10, LatencyTable.none(),
                    ranked, 2, Map.of(), tune(enc, ch -> ch[1] + ch[2] - 0.5 * ch[0], new ArrayList<>()), s -> {});
            StringBuilder sb = new StringBuilder(r.winner().label());
            for (EqualLatencyRound.Finalist f : r.finalists())
                sb.append(' ').append(f.label()).append(java.util.Arrays.toString(f.genes())).append(f.latency().check()).append(f.eligible() ? f.tuned().fitness() : f.why());
            runs.add(sb.toString());
        }
        assertEquals(runs.get(0), runs.get(1));
        assertTrue(runs.get(0).contains("uniform["), runs.get(0));
    }
}
