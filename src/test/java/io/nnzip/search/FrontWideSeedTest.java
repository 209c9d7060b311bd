package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The front-wide seed genome ({@code --seed-population front-wide}) on the MobileNetV2-style fixture and on the small
 * CNN, against keep ratios worked out by hand from the groups' channel counts, and its place in the initial population.
 */
class FrontWideSeedTest {
    @Test
    void theFirstQuarterIsWholeTheWiderLaterGroupsHalfTheRestThreeQuarters() {
        Encoding enc = new Encoding(MobileNetV2StyleTest.fixture(), "ratios", 0.1, 8);
        // the fixture's 11 groups in graph order (stem stream, expansions and streams, the 192-channel one, the head)
        assertEquals("[16, 64, 24, 96, 96, 32, 128, 128, 48, 192, 128]", Arrays.toString(enc.groups.stream().mapToInt(g -> g.prunable().size()).toArray()));
        // by hand: front = ceil(11 / 4) = 3 groups whole; median of the sizes 96; later groups above 96 (128, 128, 192, 128) 0.5
        assertArrayEquals(new double[] {1, 1, 1, 0.75, 0.75, 0.75, 0.5, 0.5, 0.75, 0.5, 0.5}, enc.frontWide());
        // the small CNN (16 / 32 / 32): one group in front; median 32, no later group wider
        assertArrayEquals(new double[] {1, 0.75, 0.75}, new Encoding(GeneticSearchTest.cnn(), "ratios", 0.1, 1).frontWide());
    }

    @Test
    void itJoinsTheInitialPopulationAfterTheUniformSeedWhenNamed() {
        var m = GeneticSearchTest.cnn();
        Encoding enc = new Encoding(m, "ratios", 0.1, 1);
        SearchConfig c = SearchConfig.of(Map.of("method", "ga", "seed_population", "uniform,front-wide"));
        List<double[]> seeds = SearchPass.seeds(m, c, enc, null, null, io.nnzip.pass.PassContext.builder().build(), new java.util.LinkedHashMap<>());
        assertEquals(2, seeds.size());
        assertArrayEquals(enc.full(), seeds.get(0));
        assertArrayEquals(new double[] {1, 0.75, 0.75}, seeds.get(1));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> SearchConfig.of(Map.of("seed_population", "front")));
    }

    /** auto, the default: width search seeds uniform and front-wide (the measured configuration); other methods uniform and sensitivity. */
    @Test
    void theDefaultSeedsDependOnTheMethod() {
        SearchConfig w = SearchConfig.of(Map.of("method", "width-search", "target_latency", 0.65));
        assertEquals(List.of(true, true, false), List.of(w.seeds("uniform"), w.seeds("front-wide"), w.seeds("sensitivity")));
        SearchConfig g = SearchConfig.of(Map.of("method", "ga"));
        assertEquals(List.of(true, false, true), List.of(g.seeds("uniform"), g.seeds("front-wide"), g.seeds("sensitivity")));
    }
}
