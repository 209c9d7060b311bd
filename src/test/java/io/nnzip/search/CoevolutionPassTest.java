package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.pass.Configs;
import io.nnzip.pass.PassContext;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * search --method evolution-ccg on a small untrained generator: the result keeps at most the MAC budget (hand-checked
 * through LayerCosts on the written model), a seed fixes the whole co-evolution (generators and discriminators), a
 * search killed after generation 1 and resumed (a fresh run of generation 2) continues exactly as the unbroken one (the discriminators are rebuilt
 * from the checkpointed generations), and the discriminators learn to tell a pruned generator from the original.
 */
class CoevolutionPassTest {
    static SearchConfig config(int generations, long seed, Path ck, boolean resume) {
        Map<String, Object> o = new HashMap<>(Map.of("method", "evolution-ccg", "target_macs", 0.5, "population", 3, "generations", generations,
                "seed", seed, "elitism", 1, "checkpoint", ck.toString(), "resume", resume));
        return Configs.with(SearchConfig.of(Map.of()), o);
    }

    static Map<String, Object> run(Model g, SearchConfig c) {
        return CoevolutionPass.run(g, c, PassContext.builder().threads(1).build(), 24).result().report();
    }

    /**
     * Same genomes, costs and discriminator accuracies per generation; fitness equal to 1e-9 (the engine's kernels may
     * round the last bits of an image differently once a weight layout is cached).
     */
    @SuppressWarnings("unchecked")
    static void assertSameSearch(Map<String, Object> a, Map<String, Object> b) {
        List<Map<String, Object>> ga = (List<Map<String, Object>>) a.get("generations"), gb = (List<Map<String, Object>>) b.get("generations");
        assertEquals(ga.size(), gb.size());
        for (int i = 0; i < ga.size(); i++) {
            for (String k : List.of("best_cost", "discriminator_accuracy")) assertEquals(ga.get(i).get(k), gb.get(i).get(k), k + " of generation " + i);
            for (String k : List.of("best_fitness", "mean_fitness", "best_fooled", "best_distill_mse"))
                assertEquals((double) ga.get(i).get(k), (double) gb.get(i).get(k), 1e-9, k + " of generation " + i);
        }
        assertEquals(((Map<String, Object>) a.get("best")).get("keep"), ((Map<String, Object>) b.get("best")).get("keep"));
    }

    @Test
    void deterministicResumableAndWithinTheBudget(@TempDir Path dir) {
        Model g = GeneratorNet.generator(5);
        Map<String, Object> whole = run(g, config(2, 3, dir.resolve("a.json"), false));
        assertTrue((double) whole.get("macs_kept") <= 0.5, "budget: " + whole.get("macs_kept"));
        assertEquals(GeneratorNetTest.macs(32, 32, 16), (long) whole.get("macs_before"));
        // killed after generation 1, resumed to 2
        Path ck = dir.resolve("c.json");
        run(g, config(1, 3, ck, false));
        Map<String, Object> resumed = run(g, config(2, 3, ck, true));
        assertEquals(true, resumed.get("resumed"));
        assertSameSearch(whole, resumed);
    }

    @Test
    void discriminatorsLearnToTellTwoKindsOfImagesApart() {
        // "original" images are bright in the top half, "candidate" images in the bottom half, both with noise
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int n = 128, d = 64;
        float[] orig = new float[n * d], fake = new float[n * d];
        for (int i = 0; i < n * d; i++) {
            boolean top = i % d < d / 2;
            orig[i] = (float) ((top ? 0.6 : 0.4) + 0.3 * r.nextDouble());
            fake[i] = (float) ((top ? 0.4 : 0.6) + 0.3 * r.nextDouble());
        }
        Discriminators ds = new Discriminators(3, d, 600, 1);
        double before = ds.fooled(fake);
        ds.update(0, orig, List.of(fake));
        for (double a : ds.accuracy()) assertTrue(a > 0.9, "held-out accuracy " + a);
        assertTrue(ds.fooled(fake) < 0.2 && ds.fooled(orig) > 0.8, "after training: candidates " + ds.fooled(fake) + " (before " + before + "), originals " + ds.fooled(orig));
        assertEquals(0.0, CoevolutionPass.mse(orig, orig));
        assertEquals(0.25 / 4 + 0.25 / 4, CoevolutionPass.mse(new float[] {0, 1, 0, 0}, new float[] {0.5f, 0.5f, 0, 0}), 1e-12);
    }
}
