package io.nnzip.quant.transformer;

import static io.nnzip.quant.transformer.TransformerInt8Test.DIR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pass.PassContext;
import io.nnzip.pipeline.Pipeline;
import io.nnzip.pipeline.Recipes;
import io.nnzip.quant.report.OrtFusion;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in transformer recipes load and run on the ViT PyTorch exported: each step passes its accuracy gate in
 * ONNX Runtime (measured on Fashion-MNIST test images against the float model) and the written model is what the
 * recipe promises to ORT (int8: one QAttention per block for q, k, v and the attention, QGemm for proj, fc1, fc2 per
 * block and the head; MatMulNBits for int4).
 */
class TransformerRecipesTest {
    @ParameterizedTest
    @CsvSource({"transformer-int8, vit_op17.onnx, QGemm, 13", "transformer-int8, vit_op17.onnx, QAttention, 4", "transformer-int4, vit_op13.onnx, MatMulNBits, 16"})
    void recipeRunsOnTheViT(String recipe, String onnx, String op, int count, @TempDir Path dir) {
        Assumptions.assumeTrue(java.nio.file.Files.exists(Path.of("/usr/share/datasets/fashion-mnist")), "needs dataset-fashion-mnist");
        Dataset tr = Datasets.load("fashion-mnist", "train").head(128), te = Datasets.load("fashion-mnist", "test").head(300);
        Model model = OnnxReader.read(DIR.resolve(onnx));
        PassContext ctx = PassContext.builder().data(tr, te).threads(2).log(s -> { }).build();
        Pipeline.Result run = Pipeline.of(model, ctx).run(model, Recipes.builtIn(recipe), ctx, dir);
        assertEquals("kept", run.steps().getLast().status(), recipe + ": " + run.steps().getLast().attempts());
        double drop = run.baseline().accuracy() - run.last().accuracy();
        assertTrue(drop <= Recipes.builtIn(recipe).budget(), recipe + " drop " + drop);
        if (recipe.endsWith("int4"))
            assertTrue(run.last().fileBytes() <= 0.2 * run.baseline().fileBytes(), "4-bit file " + run.last().fileBytes() + " of " + run.baseline().fileBytes());
        Map<String, Integer> ops = OrtFusion.optimizedOpCounts(OnnxReader.read(run.finalModel()), 2);
        assertEquals(count, ops.getOrDefault(op, 0), ops.toString());
    }

    /**
     * deep-compression's k-means step writes short names: on the pruned ViT the .nnz loses the exporter's long
     * edge and initializer names (stored in the topology, its directory and every tensor unit) and nothing else —
     * ORT gives the same logits for the decoded streams with and without them.
     */
    @org.junit.jupiter.api.Test
    void deepCompressionStoresShortNamesOnTheViT() {
        Assumptions.assumeTrue(java.nio.file.Files.exists(Path.of("/usr/share/datasets/fashion-mnist")), "needs dataset-fashion-mnist");
        Dataset tr = Datasets.load("fashion-mnist", "train").head(64), te = Datasets.load("fashion-mnist", "test").head(64);
        PassContext ctx = PassContext.builder().data(tr, te).threads(2).log(s -> { }).build();
        Model pruned = io.nnzip.pipeline.Passes.build("prune", Map.of("method", "magnitude", "scope", "global", "amount", 0.92, "latency_batch", 0))
                .run(OnnxReader.read(DIR.resolve("vit_op17.onnx")), ctx).model();
        io.nnzip.pipeline.Recipe r = Recipes.builtIn("deep-compression").forModel(pruned.graph());
        Map<String, Object> step = new java.util.LinkedHashMap<>(r.steps().get(1).options());
        assertEquals(true, step.get("compact_names"), "the recipe's k-means step");
        step.put("finetune", 0);
        step.put("latency_batch", 0);
        byte[][] nnz = new byte[2][];
        for (int c = 0; c < 2; c++) {
            step.put("compact_names", c == 1);
            Model q = io.nnzip.pipeline.Passes.build("quantize", step).run(pruned, ctx).model();
            nnz[c] = io.nnzip.codec.NnzCodec.encode(q, r.encoding().options(q, 2));
        }
        // format 8 deflates the directory of initializer names, so the exporter's long names cost less than they did (0.85)
        assertTrue(nnz[1].length < 0.9 * nnz[0].length, "short names: " + nnz[1].length + " B, exporter's: " + nnz[0].length + " B");
        io.nnzip.ir.Tensor x = io.nnzip.numpy.Npy.readNpz(DIR.resolve("vit.npz")).get("x");
        float[] plain = TransformerInt8Test.ort(io.nnzip.codec.NnzCodec.decode(nnz[0]), x), shortNames = TransformerInt8Test.ort(io.nnzip.codec.NnzCodec.decode(nnz[1]), x);
        for (int i = 0; i < plain.length; i++) assertEquals(plain[i], shortNames[i], 1e-6 * TransformerInt8Test.maxAbs(plain), "logit " + i);
    }

    /**
     * deep-compression's transformer pruning, one-shot on the ViT fixture (no fine-tuning): every MatMul/Gemm weight
     * loses exactly ⌊0.9·n⌋ weights, the patch embedding (the first layer) and the head (the last) ⌊0.6·n⌋, counted by
     * hand over the graph's weight layers; one global ranking instead would leave the attention projections, whose
     * weights are the smallest, almost empty.
     */
    @org.junit.jupiter.api.Test
    void deepCompressionPrunesEveryTransformerLayerToItsShare() {
        Model vit = OnnxReader.read(DIR.resolve("vit_op17.onnx"));
        io.nnzip.pipeline.Recipe r = Recipes.builtIn("deep-compression").forModel(vit.graph());
        Map<String, Object> o = new java.util.LinkedHashMap<>(r.steps().getFirst().options());
        o.put("finetune", 0);
        o.put("schedule", "oneshot");
        o.put("latency_batch", 0);
        PassContext ctx = PassContext.builder().threads(2).log(s -> { }).build();
        Model p = io.nnzip.pipeline.Passes.build("prune", o).run(vit, ctx).model();
        java.util.List<String> weights = new java.util.ArrayList<>();
        for (io.nnzip.ir.Node n : io.nnzip.ir.TopoSort.order(p.graph().nodes()))
            if (java.util.Set.of("Conv", "MatMul", "Gemm").contains(n.opType()) && p.graph().isInitializer(n.input(1))
                    && p.graph().initializer(n.input(1)).rank() >= 2 && !weights.contains(n.input(1))) weights.add(n.input(1));
        assertEquals(18, weights.size(), "patch conv, 4 × (qkv, proj, fc1, fc2), head: " + weights);
        for (int i = 0; i < weights.size(); i++) {
            float[] w = p.graph().initializer(weights.get(i)).floats();
            int zeros = 0;
            for (float v : w) if (v == 0f) zeros++;
            double share = i == 0 || i == weights.size() - 1 ? 0.6 : 0.9;
            assertEquals((int) Math.floor(share * w.length + 1e-9), zeros, weights.get(i) + " (" + w.length + " weights)");
        }
    }
}
