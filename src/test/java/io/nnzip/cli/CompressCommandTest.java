package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.models.zoo.Zoo;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe run without data: a good step is kept, a step that fails is rolled back (and the model stays the
 * previous one), and the HTML report holds the step table and every chart as an embedded PNG.
 */
class CompressCommandTest {
    @Test
    void keepsGoodStepsRollsBackBadOnesAndReports(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxWriter.write(Zoo.resnet18(32, 0.25, 10, 3), model);
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, """
                name: test
                steps:
                  - step: prune
                    options: {method: magnitude, amount: 0.5}
                  - step: prune
                    options: {method: magnitude, amount: 7}
                    on_fail: retry
                    retry: [{amount: 9}]
                """);
        Path out = dir.resolve("out.onnx"), report = dir.resolve("report.html"), nnz = dir.resolve("out.nnz");
        CliErrorsTest.Outcome o = CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "-o", out.toString(),
                "--nnz", nnz.toString(), "--report", report.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode r = new ObjectMapper().readTree(o.out());
        JsonNode steps = r.get("steps");
        assertEquals(3, steps.size());
        assertEquals("baseline", steps.get(0).get("status").asText());
        assertEquals("kept", steps.get(1).get("status").asText());
        assertEquals("rolled back", steps.get(2).get("status").asText());
        assertEquals(2, steps.get(2).get("attempts").size(), "the retry was tried too");
        double sparsity = steps.get(1).get("measurement").get("sparsity").asDouble();
        assertTrue(sparsity > 0.45, "half the weights pruned, sparsity " + sparsity);
        // the output is the kept step's model: still half zeros, still runs
        assertEquals(sparsityOf(out), sparsity, 1e-9, "sparsity counts the layers' weights");
        assertTrue(Files.size(nnz) < Files.size(out) / 2, "the .nnz codes the zeros compactly");
        String html = Files.readString(report);
        assertTrue(html.contains("<table class=\"steps\">"));
        for (String id : new String[] {"tradeoff", "latency", "sparsity", "bits"})
            assertTrue(html.contains("id=\"chart-r0-" + id + "\" alt=\"r0-" + id + " chart\" src=\"data:image/png;base64,iVBOR"), id);
        assertFalse(html.contains("http://") || html.contains("https://"), "the report must not need the network");
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().startsWith(".nnzip-work")), "work folder removed");
    }

    /**
     * A recipe's transformer block runs on a transformer (the ViT fixture) in place of its steps and encode options, and
     * the JSON says so; on a CNN the recipe's own steps run. The .nnz keeps 5 mantissa bits as the block asks (the
     * stream's recipe line records it).
     */
    @Test
    void transformerSettingsRunOnTransformers(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, """
                name: both
                steps:
                  - step: prune
                    options: {method: magnitude, amount: 0.5, latency_batch: 0}
                transformer:
                  steps:
                    - step: prune
                      options: {method: magnitude, amount: 0.3, latency_batch: 0}
                  encode: {float_mantissa: 5}
                """);
        Path vit = Path.of("src/test/resources/transformers/vit_op17.onnx"), cnn = Path.of("src/test/resources/pytorch/cnn_op17.onnx");
        for (Path model : new Path[] {vit, cnn}) {
            Path out = dir.resolve("o.onnx"), nnz = dir.resolve("o.nnz");
            CliErrorsTest.Outcome o = CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "-o", out.toString(),
                    "--nnz", nnz.toString(), "--json");
            assertEquals(0, o.code(), o.err());
            JsonNode r = new ObjectMapper().readTree(o.out());
            boolean t = model == vit;
            assertEquals(t ? "transformer" : null, r.has("recipe_variant") ? r.get("recipe_variant").asText() : null, model.toString());
            assertTrue(r.get("steps").get(1).get("args").asText().contains(t ? "amount=0.3" : "amount=0.5"), r.get("steps").get(1).toString());
            String line = new io.nnzip.codec.format.NnzReader(Files.readAllBytes(nnz), "o.nnz").header().recipe;
            assertEquals(t, line.contains("float_mantissa=5"), line);
        }
    }

    /**
     * With data, the JSON also measures what ships: the .nnz decoded (here at a coarse QP, so it differs from the
     * written ONNX), evaluated like `nnzip decode` then `nnzip eval` would on the same images.
     */
    @Test
    void theDecodedStreamsAccuracyIsReported(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, """
                name: coarse
                steps:
                  - step: prune
                    options: {method: magnitude, amount: 0.3, latency_batch: 0}
                encode: {qp: 4}
                """);
        Path cnn = Path.of("src/test/resources/pytorch/cnn_op17.onnx"), out = dir.resolve("o.onnx"), nnz = dir.resolve("o.nnz"), dec = dir.resolve("d.onnx");
        CliErrorsTest.Outcome o = CliErrorsTest.run("compress", cnn.toString(), "--recipe", recipe.toString(), "-o", out.toString(),
                "--nnz", nnz.toString(), "--data", "fashion-mnist", "--limit", "512", "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode r = new ObjectMapper().readTree(o.out());
        assertEquals(0, CliErrorsTest.run("decode", nnz.toString(), "-o", dec.toString(), "--json").code());
        CliErrorsTest.Outcome e = CliErrorsTest.run("eval", dec.toString(), "--data", "fashion-mnist", "--limit", "512", "--runtime", "ort", "--json");
        assertEquals(0, e.code(), e.err());
        double want = new ObjectMapper().readTree(e.out()).get("accuracy").asDouble();
        assertEquals(want, r.get("nnz_accuracy").asDouble(), 1e-5, r.toString()); // eval prints 5 decimals
        assertEquals(100 * (r.get("accuracy_before").asDouble() - want), r.get("nnz_accuracy_drop_points").asDouble(), 1e-3);
        assertTrue(Math.abs(r.get("nnz_accuracy").asDouble() - r.get("accuracy_after").asDouble()) > 0.01, "QP 4 moves accuracy past the written ONNX");
    }

    /**
     * A lossy encode that takes the shipped file past the recipe's budget is redone finer (here QP 4 loses ~26 points,
     * so the codec's float mantissa does not help and the stream is coded lossless): the .nnz then decodes to exactly
     * the written ONNX, whose accuracy the gates held within the budget.
     */
    @Test
    void aStreamPastTheBudgetIsCodedAgainFiner(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, """
                name: coarse
                max_drop: 5
                steps:
                  - step: prune
                    options: {method: magnitude, amount: 0.3, latency_batch: 0}
                encode: {qp: 4}
                """);
        Path cnn = Path.of("src/test/resources/pytorch/cnn_op17.onnx"), out = dir.resolve("o.onnx"), nnz = dir.resolve("o.nnz");
        CliErrorsTest.Outcome o = CliErrorsTest.run("compress", cnn.toString(), "--recipe", recipe.toString(), "-o", out.toString(),
                "--nnz", nnz.toString(), "--data", "fashion-mnist", "--limit", "512", "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode r = new ObjectMapper().readTree(o.out());
        assertEquals("lossless", r.get("nnz_encoding").asText(), r.toString());
        assertEquals(r.get("accuracy_after").asDouble(), r.get("nnz_accuracy").asDouble(), 1e-9);
        assertTrue(r.get("nnz_accuracy_drop_points").asDouble() <= 5, r.toString());
        assertEquals(Files.size(nnz), r.get("nnz_bytes").asLong());
        assertEquals(Files.size(nnz), r.get("coded_bytes").asLong());
        Model decoded = io.nnzip.codec.NnzCodec.decode(Files.readAllBytes(nnz)), written = OnnxReader.read(out);
        for (String k : written.graph().initializers().keySet())
            assertTrue(written.graph().initializer(k).equals(decoded.graph().initializer(k)), k + " decodes bit for bit");
    }

    /** {@code nnzip recipes} lists a recipe's transformer settings next to its own. */
    @Test
    void recipesListsTransformerSettings() throws Exception {
        CliErrorsTest.Outcome o = CliErrorsTest.run("recipes", "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode dc = null;
        for (JsonNode r : new ObjectMapper().readTree(o.out()).get("recipes")) if (r.get("name").asText().equals("deep-compression")) dc = r;
        assertNotNull(dc);
        assertEquals(0.5, dc.get("max_drop").asDouble());
        assertTrue(dc.get("steps").get(0).asText().contains("scope=global"), dc.toString());
        assertEquals(1.0, dc.get("transformer").get("max_drop").asDouble());
        assertTrue(dc.get("transformer").get("steps").get(0).asText().contains("scope=layer"), dc.toString());
        assertEquals(5, dc.get("transformer").get("encode").get("float_mantissa").asInt());
    }

    @Test
    void aSweepRunsEveryPointAndWritesTheSmallestWithinBudget(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxWriter.write(Zoo.resnet18(32, 0.25, 10, 3), model);
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "name: sweepme\nsteps:\n  - step: prune\n    options: {method: magnitude, amount: 0.5}\n");
        Path out = dir.resolve("out.onnx"), nnz = dir.resolve("out.nnz");
        CliErrorsTest.Outcome o = CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "-o", out.toString(),
                "--nnz", nnz.toString(), "--sweep", "prune.amount=0.3,0.9", "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode r = new ObjectMapper().readTree(o.out());
        JsonNode points = r.get("points");
        assertEquals(2, points.size());
        assertEquals(0.3, points.get(0).get("prune.amount").asDouble());
        assertEquals(0.9, points.get(1).get("prune.amount").asDouble());
        assertTrue(points.get(1).get("coded_bytes").asLong() < points.get(0).get("coded_bytes").asLong(), r.toString());
        assertEquals(1, r.get("chosen").asInt(), "no data, no budget: the smallest coded point");
        assertEquals(points.get(1).get("coded_bytes").asLong(), Files.size(nnz));
        // the written model is the 90 % point, counted here, not taken from the report
        assertEquals(0.9, sparsityOf(out), 0.02);
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "-o", dir.resolve("x.onnx").toString(),
                "--sweep", "quantize.scheme=int8"), "has no step 'quantize'");
    }

    /** Share of zeros among the layers' weights, counted in the written file. */
    static double sparsityOf(Path model) {
        var g = OnnxReader.read(model).graph();
        long zeros = 0, weights = 0;
        for (String w : io.nnzip.prune.UnstructuredPruner.weightTensors(g))
            for (float v : g.initializer(w).floats()) {
                weights++;
                if (v == 0f) zeros++;
            }
        return (double) zeros / weights;
    }

    @Test
    void unknownStepsAndRecipesAreClearErrors(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.onnx");
        OnnxWriter.write(Zoo.resnet18(32, 0.25, 10, 3), model);
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "name: t\nsteps:\n  - step: frobnicate\n");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "-o", dir.resolve("o.onnx").toString()), "frobnicate");
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("compress", model.toString(), "--recipe", "no-such-recipe", "-o", dir.resolve("o.onnx").toString()), "no-such-recipe");
    }

    /**
     * --val-images: every gate measures the last N training images, and the test split only the input and the
     * result. The data's labels make the two splits score differently on the input (80 % of the held-out training
     * images carry the model's own class, 60 % of the test images), and the result's test accuracy is counted here in
     * ONNX Runtime.
     */
    @Test
    void valImagesGateOnHeldOutTrainingImagesAndTheTestSplitMeasuresTheResult(@TempDir Path dir) throws Exception {
        io.nnzip.ir.Model m = io.nnzip.codec.SyntheticModels.cnn(4, 4, 8, 32);
        Path model = dir.resolve("m.onnx"), npz = dir.resolve("d.npz"), recipe = dir.resolve("r.yaml"), out = dir.resolve("o.onnx");
        OnnxWriter.write(m, model);
        float[] xTrain = images(300, 1), xTest = images(100, 2);
        int[] own = top1(m, xTrain, 300), ownTest = top1(m, xTest, 100);
        long[] yTrain = new long[300], yTest = new long[100];
        for (int i = 0; i < 300; i++) yTrain[i] = i < 280 ? own[i] : (own[i] + 1) % 10; // held out: 200..299, 80 own
        for (int i = 0; i < 100; i++) yTest[i] = i < 60 ? ownTest[i] : (ownTest[i] + 1) % 10;
        io.nnzip.numpy.Npy.writeNpz(npz, java.util.Map.of("x_train", io.nnzip.ir.Tensor.of(xTrain, 300, 28, 28), "y_train", io.nnzip.ir.Tensor.ofLongs(yTrain, 300),
                "x_test", io.nnzip.ir.Tensor.of(xTest, 100, 28, 28), "y_test", io.nnzip.ir.Tensor.ofLongs(yTest, 100)));
        Files.writeString(recipe, "name: t\nmax_drop: 100\nsteps:\n  - step: prune\n    options: {method: magnitude, amount: 0.3}\n");
        CliErrorsTest.Outcome o = CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "--data", npz.toString(),
                "--val-images", "100", "--threads", "1", "-o", out.toString(), "--json");
        assertEquals(0, o.code(), o.err());
        JsonNode r = new ObjectMapper().readTree(o.out());
        assertEquals(0.8, r.get("val_accuracy_before").asDouble(), 1e-6, r.toString());
        assertEquals(0.8, r.get("steps").get(0).get("measurement").get("accuracy").asDouble(), 1e-6, "the baseline gate measured the held-out images");
        assertEquals(0.6, r.get("accuracy_before").asDouble(), 1e-6, r.toString());
        assertTrue(r.get("accuracy_split").asText().contains(", 100 images"), r.toString());
        io.nnzip.ir.Model result = OnnxReader.read(out);
        int[] y = top1(result, xTest, 100);
        int hits = 0;
        for (int i = 0; i < 100; i++) if (y[i] == yTest[i]) hits++;
        assertEquals(hits / 100.0, r.get("accuracy_after").asDouble(), 1e-6, r.toString());
        int[] yv = top1(result, java.util.Arrays.copyOfRange(xTrain, 200 * 784, 300 * 784), 100);
        int vh = 0;
        for (int i = 0; i < 100; i++) if (yv[i] == yTrain[200 + i]) vh++;
        assertEquals(vh / 100.0, r.get("val_accuracy_after").asDouble(), 1e-6, r.toString());
        // the held-out images leave the training split: first 200 to train on, the last 100 to gate on
        io.nnzip.data.DataSplits s = io.nnzip.data.DataSplits.load(npz.toString(), 0).holdingOut(100);
        assertEquals(200, s.train().size());
        assertEquals(100, s.val().size());
        assertEquals(yTrain[250], s.val().label(50));
        CliErrorsTest.assertOneLineError(CliErrorsTest.run("compress", model.toString(), "--recipe", recipe.toString(), "--data", npz.toString(),
                "--val-images", "300", "-o", out.toString()), "--val-images 300");
    }

    private static float[] images(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return x;
    }

    private static int[] top1(io.nnzip.ir.Model m, float[] x, int n) {
        try (io.nnzip.eval.OrtRunner ort = new io.nnzip.eval.OrtRunner(m, 1)) {
            float[] y = ort.run(java.util.Map.of("input", io.nnzip.ir.Tensor.of(x, n, 1, 28, 28))).get("logits").floats();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) for (int j = 1; j < 10; j++) if (y[i * 10 + j] > y[i * 10 + out[i]]) out[i] = j;
            return out;
        }
    }
}
