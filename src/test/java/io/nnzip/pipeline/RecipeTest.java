package io.nnzip.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.NnzipException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
                    args: --method magnitude --amount 0.9 --finetune 1
                    on_fail: retry
                    retry: ["--amount 0.8", "--amount=0.7"]
                  - step: quantize
                    args: --scheme "kmeans:4"
                """);
        assertEquals(0.5, r.budget());
        assertEquals(Recipe.OnFail.retry, r.steps().get(0).onFail());
        assertEquals(Recipe.OnFail.rollback, r.steps().get(1).onFail());
        assertEquals(List.of("--scheme", "kmeans:4"), r.steps().get(1).argList());
    }

    @Test
    void overrideReplacesOptionValuesInPlace() {
        List<String> base = Recipe.split("--method magnitude --amount 0.9 --finetune 1");
        assertEquals(List.of("--method", "magnitude", "--amount", "0.8", "--finetune", "1"), Recipe.override(base, List.of("--amount", "0.8")));
        assertEquals(List.of("--method", "magnitude", "--amount=0.7", "--finetune", "1"), Recipe.override(base, List.of("--amount=0.7")));
        assertEquals(List.of("--method", "magnitude", "--amount", "0.9", "--finetune", "1", "--scope", "global"), Recipe.override(base, List.of("--scope", "global")));
    }

    @Test
    void badRecipesAreClearErrors() {
        assertThrows(NnzipException.class, () -> parse("name: x\nsteps: []\n"));
        String m = assertThrows(NnzipException.class, () -> parse("name: x\nsteps:\n  - step: prune\n    on_fail: sometimes\n")).getMessage();
        assertTrue(m.contains("test.yaml"), m);
        assertThrows(NnzipException.class, () -> parse("name: x\nbogus_key: 1\nsteps:\n  - step: prune\n"));
    }
}
