package io.nnzip.pass;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.distill.DistillPass;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.FactorizeConfig;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.pipeline.Pipeline;
import io.nnzip.pipeline.Recipe;
import io.nnzip.pipeline.Recipes;
import io.nnzip.prune.PruneConfig;
import io.nnzip.prune.UnstructuredPruner;
import io.nnzip.quant.QuantConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Java API" example, compiled and run exactly as the README quotes it (between the markers). */
class JavaApiExampleTest {
    static final Path MLP = Path.of("src/test/resources/pytorch-normalized/mlp.onnx");

    /** Runs the README example; returns its results by name for the checks. */
    static Map<String, Object> example(Model model, float[] trainX, int[] trainY, float[] testX, int[] testY, Path workDir) {
        // README:java-api:start
        // pixels in [0,1], laid out (N,C,H,W); one class index per image
        Dataset train = new Dataset("train", trainX, trainY, 1, 28, 28, 10);
        Dataset test = new Dataset("test", testX, testY, 1, 28, 28, 10);
        PassContext ctx = PassContext.builder()
                .data(train, test)                                     // fine-tuning/calibration, accuracy
                .normalization(Normalization.parse("0.2860,0.3530"))   // what the model was trained with
                .log(System.err::println)
                .build();

        // each pass is its config; options by name, defaults for the rest (the same names recipes use)
        PassResult pruned = PruneConfig.of(Map.of("amount", 0.8, "finetune", 1)).run(model, ctx);
        PassResult quantized = QuantConfig.of(Map.of("scheme", "int8")).run(pruned.model(), ctx);
        PassResult factorized = FactorizeConfig.of(Map.of("method", "svd", "energy", 0.9)).run(model, ctx);
        PassResult student = DistillPass.of(Map.of("student", "mlp", "width", 0.25, "epochs", 1)).run(model, ctx);

        // a recipe: the passes in order, each gated in ONNX Runtime and within the recipe's accuracy budget
        Recipe recipe = Recipes.builtIn("edge-int8");   // or Recipe.load(Path.of("my-recipe.yaml"))
        Pipeline.Result run = Pipeline.of(model, ctx).run(model, recipe, ctx, workDir);
        System.out.println(quantized.report().get("comparison") + "\n" + run.last());
        // README:java-api:end
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pruned", pruned);
        r.put("quantized", quantized);
        r.put("factorized", factorized);
        r.put("student", student);
        r.put("run", run);
        return r;
    }

    @Test
    void theReadmeQuotesExactlyThisExample() throws Exception {
        String src = java.nio.file.Files.readString(Path.of("src/test/java/io/nnzip/pass/JavaApiExampleTest.java"));
        String body = src.substring(src.indexOf("// README:java-api:start\n") + "// README:java-api:start\n".length(), src.indexOf("        // README:java-api:end"));
        StringBuilder dedented = new StringBuilder();
        for (String line : body.split("\n")) dedented.append(line.startsWith("        ") ? line.substring(8) : line).append('\n');
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        int at = readme.indexOf("## Java API");
        assertTrue(at >= 0, "README has a Java API section");
        int from = readme.indexOf("```java\n", at) + "```java\n".length(), to = readme.indexOf("```", from);
        assertEquals(dedented.toString(), readme.substring(from, to));
    }

    @Test
    void theReadmeExampleRuns(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(java.nio.file.Files.exists(Path.of("/usr/share/datasets/fashion-mnist")), "needs dataset-fashion-mnist");
        Dataset tr = Datasets.load("fashion-mnist", "train").head(1024), te = Datasets.load("fashion-mnist", "test").head(512);
        Model model = OnnxReader.read(MLP);
        Map<String, Object> r = example(model, tr.pixels(), tr.labels(), te.pixels(), te.labels(), dir);

        // the input is never changed, and every result runs in ONNX Runtime with the original output shape
        assertFalse(model.metadata().containsKey("nnzip.prune"));
        Map<String, String> passOf = Map.of("pruned", "prune", "quantized", "quantize", "factorized", "factorize", "student", "distill");
        for (String k : passOf.keySet()) {
            Model m = ((PassResult) r.get(k)).model();
            try (OrtRunner ort = new OrtRunner(m, 1)) {
                Tensor y = ort.run(Map.of(m.graph().runtimeInputs().getFirst().name(), Tensor.zeros(io.nnzip.ir.DType.FLOAT, 3, 1, 28, 28))).values().iterator().next();
                assertArrayEquals(new int[] {3, 10}, y.shape(), k);
            }
            assertNotNull(Provenance.read(m, passOf.get(k)), k + " records its provenance");
            assertEquals("0.286", m.metadata().get(Normalization.MEAN_KEY), k + " records the normalization it was run with");
        }
        // 80 % of the weights are zero (counted by hand), after fine-tuning re-zeroed them
        Model pruned = ((PassResult) r.get("pruned")).model();
        long zeros = 0, all = 0;
        for (String w : UnstructuredPruner.weightTensors(pruned.graph()))
            for (float v : pruned.graph().initializer(w).toFloats()) {
                all++;
                if (v == 0f) zeros++;
            }
        assertEquals(0.8, (double) zeros / all, 0.01);
        Pipeline.Result run = (Pipeline.Result) r.get("run");
        assertEquals(3, run.steps().size());
        assertNotNull(run.last().accuracy(), "the recipe is gated on the validation split's accuracy");
    }
}
