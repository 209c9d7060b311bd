package io.nnzip.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.NnzipException;
import io.nnzip.prune.PruneConfig;
import io.nnzip.quant.QuantConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecipeTest {
    static Recipe parse(String yaml) {
        return Recipe.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    @Test
    void parsesStepsRetriesAndBudget() {
        Recipe r = parse("""
                name: t
                max_drop: 0.5
                steps:
                  - step: prune
                    options: {method: magnitude, amount: 0.9, finetune: 1}
                    on_fail: retry
                    retry: [{amount: 0.8}, {amount: 0.7, scope: global}]
                  - step: quantize
                    options: {scheme: "kmeans:4"}
                """);
        assertEquals(0.5, r.budget());
        assertEquals(Recipe.OnFail.retry, r.steps().get(0).onFail());
        assertEquals(Recipe.OnFail.rollback, r.steps().get(1).onFail());
        List<Map<String, Object>> tries = r.steps().get(0).attempts();
        assertEquals(3, tries.size());
        PruneConfig last = (PruneConfig) Passes.build("prune", tries.get(2));
        assertEquals(0.7, last.amount());
        assertEquals("global", last.scope());
        assertEquals("magnitude", last.method());
        assertEquals(1, last.finetune(), "a retry keeps the options it does not override");
        assertEquals("layer", ((PruneConfig) Passes.build("prune", tries.get(1))).scope());
        assertEquals("kmeans:4", ((QuantConfig) Passes.build("quantize", r.steps().get(1).options())).scheme);
    }

    @Test
    void badRecipesAreClearErrors() {
        assertThrows(NnzipException.class, () -> parse("name: x\nsteps: []\n"));
        String m = assertThrows(NnzipException.class, () -> parse("name: x\nsteps:\n  - step: prune\n    on_fail: sometimes\n")).getMessage();
        assertTrue(m.contains("test.yaml"), m);
        assertThrows(NnzipException.class, () -> parse("name: x\nbogus_key: 1\nsteps:\n  - step: prune\n"));
        m = assertThrows(NnzipException.class, () -> parse("name: x\nsteps:\n  - step: frobnicate\n")).getMessage();
        assertTrue(m.contains("frobnicate") && m.contains("prune"), m);
        Recipe bad = parse("name: x\nsteps:\n  - step: prune\n    options: {amout: 0.5}\n");
        m = assertThrows(NnzipException.class, bad::check).getMessage();
        assertTrue(m.contains("amout") && m.contains("amount"), m);
    }

    @Test
    void everyBuiltInRecipeBuildsItsPasses() {
        for (Recipe r : Recipes.all().values()) r.check();
    }
}
