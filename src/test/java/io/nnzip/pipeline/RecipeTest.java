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

    /**
     * A recipe's transformer settings replace its max_drop, steps and encode on a transformer (the ViT fixture:
     * Softmax and weight MatMuls) and nowhere else (the CNN and MLP fixtures); what the variant leaves out stays.
     */
    @Test
    void transformerSettingsApplyToTransformersOnly() {
        Recipe r = parse("""
                name: t
                max_drop: 0.5
                steps:
                  - step: prune
                    options: {amount: 0.9}
                encode: {qp: -20}
                transformer:
                  max_drop: 1.0
                  steps:
                    - step: prune
                      options: {amount: 0.7, scope: layer}
                    - step: quantize
                      options: {scheme: "kmeans:4"}
                """);
        java.nio.file.Path res = java.nio.file.Path.of("src/test/resources");
        for (String plain : List.of("pytorch/cnn_op17.onnx", "pytorch/mlp_op17.onnx")) {
            Recipe p = r.forModel(io.nnzip.onnx.OnnxReader.read(res.resolve(plain)).graph());
            assertEquals(0.5, p.budget(), plain);
            assertEquals(1, p.steps().size(), plain);
            assertEquals(0.9, p.steps().get(0).options().get("amount"), plain);
            assertNull(p.transformer(), plain);
        }
        Recipe t = r.forModel(io.nnzip.onnx.OnnxReader.read(res.resolve("transformers/vit_op17.onnx")).graph());
        assertEquals(1.0, t.budget());
        assertEquals(List.of("prune", "quantize"), t.steps().stream().map(Recipe.Step::step).toList());
        assertEquals(0.7, t.steps().get(0).options().get("amount"));
        assertEquals(-20, t.encoding().qp(), "encode is the recipe's where the variant gives none");
        assertNull(t.transformer());
        assertSame(t, t.forModel(io.nnzip.onnx.OnnxReader.read(res.resolve("transformers/vit_op17.onnx")).graph()), "resolving twice changes nothing");
        String m = assertThrows(NnzipException.class, () -> parse("name: x\nsteps:\n  - step: prune\ntransformer:\n  steps:\n    - step: frobnicate\n")).getMessage();
        assertTrue(m.contains("transformer") && m.contains("frobnicate"), m);
        Recipe bad = parse("name: x\nsteps:\n  - step: prune\ntransformer:\n  steps:\n    - step: prune\n      options: {amout: 0.5}\n");
        m = assertThrows(NnzipException.class, bad::check).getMessage();
        assertTrue(m.contains("amout"), m);
    }

    /**
     * deep-compression keeps its CNN/MLP settings (one global ranking to 92 % at lr 2e-3, k-means 4 bits, budget 0.5)
     * on the CNN and MLP fixtures, and runs its transformer settings on the ViT: the 1-point budget, every
     * layer pruned to its own share at a fine-tuning lr for a converged model, compact provenance, 5-bit floats.
     */
    @Test
    void deepCompressionHasTransformerSettings() {
        Recipe r = Recipes.builtIn("deep-compression");
        java.nio.file.Path res = java.nio.file.Path.of("src/test/resources");
        for (String plain : List.of("pytorch/cnn_op17.onnx", "pytorch/mlp_op17.onnx")) {
            Recipe p = r.forModel(io.nnzip.onnx.OnnxReader.read(res.resolve(plain)).graph());
            assertEquals(0.5, p.budget(), plain);
            PruneConfig c = (PruneConfig) Passes.build("prune", p.steps().get(0).options());
            assertEquals("global", c.scope(), plain);
            assertEquals(0.92, c.amount(), plain);
            assertEquals(2e-3f, c.lr(), plain);
            assertEquals("kmeans:4", ((QuantConfig) Passes.build("quantize", p.steps().get(1).options())).scheme, plain);
            assertEquals("full", p.encoding().provenance(), plain);
        }
        Recipe t = r.forModel(io.nnzip.onnx.OnnxReader.read(res.resolve("transformers/vit_op17.onnx")).graph());
        assertEquals(1.0, t.budget());
        PruneConfig c = (PruneConfig) Passes.build("prune", t.steps().get(0).options());
        assertEquals("layer", c.scope());
        assertTrue(c.lr() <= 5e-4f, "lr " + c.lr());
        assertTrue(c.schedule().inTraining());
        // 12 epochs of the 60 000 training images fit for a 4×64 ViT of 50 tokens (7.9 M MACs an image)
        assertTrue(c.finetuneBudget() >= 12 * 60_000 * 7.9e6 / 1e9, "budget " + c.finetuneBudget() + " GMACs");
        assertEquals("compact", t.encoding().provenance());
        assertEquals(5, t.encoding().floatMantissa());
        assertEquals(Boolean.TRUE, t.steps().get(1).options().get("compact_names"));
    }
}
