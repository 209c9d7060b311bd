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
 * recipe promises to ORT (QGemm for int8, MatMulNBits for int4).
 */
class TransformerRecipesTest {
    @ParameterizedTest
    @CsvSource({"transformer-int8, vit_op17.onnx, QGemm, 17", "transformer-int4, vit_op13.onnx, MatMulNBits, 16"})
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
}
