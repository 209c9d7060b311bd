package io.nnzip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.SensitivitySpec;
import io.nnzip.dist.TrainSpec;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.Sensitivity;
import io.nnzip.train.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One local[2] context for the class (start-up is seconds); each test is a small job on it. */
class SparkScaleOutTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() { sc = SparkContexts.start("local[2]", 2); }

    @AfterAll
    static void stop() { sc.stop(); }

    @Test
    void sensitivityOnSparkIsTheSingleProcessTableOnAPyTorchModel() throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of("../src/test/resources/pytorch/cnn_op13.onnx"));
        List<Double> amounts = List.of(0.25, 0.5);
        SensitivitySpec spec = new SensitivitySpec(bytes, null, 0, null, null, amounts, "l1-filter", 2, 4, 3);
        Sensitivity.Scan here = spec.prepare().scan(rowsHere(spec));
        ScaleOut.Sweep there = SensitivitySweep.run(sc, spec, "sweep-1", s -> {});
        // prepared on the driver before the tasks start (local masters, during context start-up): the same table
        SensitivitySweep.prepareAhead("sweep-2", spec, 1, 2);
        assertEquals(here, SensitivitySweep.run(sc, spec, "sweep-2", s -> {}).scan());
        assertTrue(here.rows().size() >= 2, "fixture has prunable groups");
        assertEquals(here, there.scan());
        assertEquals(here.rows().size(), there.where().size());
        assertTrue(there.where().getFirst().startsWith("executor driver"), there.where().getFirst());
        // one task per point, gathered back into rows: every row names where each of its amounts ran, in order
        assertEquals(here.rows().size() * amounts.size(), ((Number) there.info().get("tasks")).intValue());
        for (String w : there.where()) {
            String[] parts = w.split("; ");
            assertEquals(amounts.size(), parts.length, w);
            for (int j = 0; j < amounts.size(); j++) assertTrue(parts[j].endsWith(" for " + amounts.get(j)), w);
        }
    }

    private static List<Sensitivity.Row> rowsHere(SensitivitySpec spec) {
        Sensitivity.Prepared p = spec.prepare();
        return java.util.stream.IntStream.range(0, p.groupCount()).mapToObj(p::row).toList();
    }

    @Test
    void dataParallelTrainingLearnsAndCompressesItsExchange() {
        Model m = Models.create("mlp", 0.25f, 10, 1);
        Dataset test = Datasets.load("fashion-mnist", "test").head(1000);
        Normalization norm = new Normalization(new float[] {0.286f}, new float[] {0.353f});
        for (String ex : List.of("int8", "threshold")) {
            TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(m), "fashion-mnist", 2048, norm.mean(), norm.std(), 1, 32, 3e-3f, "adam", 0.9f, 0f, 1, 2, ex, 1, 1);
            ScaleOut.Trained t = DataParallel.run(sc, spec, 2048, s -> {});
            double ratio = ((Number) t.info().get("exchange_ratio")).doubleValue();
            assertTrue(ratio <= (ex.equals("int8") ? 0.27 : 0.05), ex + " ratio " + ratio);
            float acc;
            try (Parallel par = new Parallel(1)) {
                acc = Evaluator.evaluate(Evaluator.engine(t.model(), par), test, norm, 256).accuracy();
            }
            // 32 steps of 64 images from random weights: far above the 10 % of chance, whatever the exchange
            assertTrue(acc > 0.5, ex + " accuracy " + acc);
        }
    }

    @Test
    void synchronousWorkersTakeOneAdamStepOnTheirMeanGradient() {
        // reference, computed here without DataParallel: each round both workers' gradients at the shared weights
        // (an SGD step of rate 0 leaves the weights), their mean, one Adam step
        Model m = Models.create("mlp", 0.25f, 10, 1);
        Normalization norm = new Normalization(new float[] {0.286f}, new float[] {0.353f});
        TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(m), "fashion-mnist", 256, norm.mean(), norm.std(), 1, 32, 3e-3f, "adam", 0.9f, 0f, 1, 2, "float", 1, 1);
        ScaleOut.Trained t = DataParallel.run(sc, spec, 256, s -> {});
        io.nnzip.train.Trainer[] workers = new io.nnzip.train.Trainer[2];
        io.nnzip.data.BatchLoader[] loaders = new io.nnzip.data.BatchLoader[2];
        for (int w = 0; w < 2; w++) {
            workers[w] = new io.nnzip.train.Trainer(m, spec.options(w).optimizer("sgd").momentum(0f));
            loaders[w] = new io.nnzip.data.BatchLoader(spec.shard(w), 32, true, norm, io.nnzip.data.Augment.NONE, spec.seed() + w, 0);
        }
        List<io.nnzip.train.Param> ref = workers[0].params().stream().map(p -> new io.nnzip.train.Param(p.name(), p.value().clone(), p.decay())).toList();
        io.nnzip.train.Optimizer adam = io.nnzip.train.Optimizer.create("adam", 0.9f, false, 0f);
        int rounds = spec.roundsPerEpoch(256);
        assertEquals(4, rounds);
        for (int r = 0; r < rounds; r++) {
            for (io.nnzip.train.Param q : ref) java.util.Arrays.fill(q.grad(), 0f);
            for (int w = 0; w < 2; w++) {
                for (int j = 0; j < ref.size(); j++) System.arraycopy(ref.get(j).value(), 0, workers[w].params().get(j).value(), 0, ref.get(j).size());
                workers[w].step(loaders[w].next(), 0f);
                for (int j = 0; j < ref.size(); j++) {
                    float[] g = workers[w].params().get(j).grad(), sum = ref.get(j).grad();
                    for (int i = 0; i < g.length; i++) sum[i] += 0.5f * g[i];
                }
            }
            adam.step(ref, 3e-3f);
        }
        for (int w = 0; w < 2; w++) {
            workers[w].close();
            loaders[w].close();
        }
        for (io.nnzip.train.Param q : ref) {
            float[] got = t.model().graph().initializer(q.name()).toFloats();
            for (int i = 0; i < got.length; i++)
                assertEquals(q.value()[i], got[i], 1e-5 + 1e-4 * Math.abs(q.value()[i]), q.name() + "[" + i + "]");
        }
        assertEquals("mean gradient, one optimizer step on the driver", t.info().get("update_rule"));
    }

    @Test
    void pruneFineTunesOnSparkAndKeepsPrunedWeightsAtZero() {
        Model m = io.nnzip.onnx.OnnxReader.read(Path.of("../src/test/resources/pytorch-normalized/mlp.onnx"));
        Normalization norm = Normalization.parse("0.2860,0.3530");
        io.nnzip.pass.RemoteTraining remote = (model, r, nm, trainSize, log) -> {
            TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(model), "fashion-mnist", 1024, nm.mean(), nm.std(), r.epochs(), 32, r.lr(),
                    r.optimizer(), 0.9f, 0f, r.seed(), 2, "int8", 1, 1, r.schedule(), r.zeros());
            return new io.nnzip.pass.RemoteTraining.Result(DataParallel.run(sc, spec, trainSize, log).model(), java.util.Map.of());
        };
        io.nnzip.pass.PassContext ctx = io.nnzip.pass.PassContext.builder().data(io.nnzip.data.DataSplits.load("fashion-mnist", 1024))
                .normalization(norm).remote(remote).build();
        Model pruned = io.nnzip.prune.PruneConfig.of(java.util.Map.of("amount", 0.8)).run(m, ctx).model();
        Model tuned = io.nnzip.prune.PruneConfig.of(java.util.Map.of("amount", 0.8, "finetune", 1)).run(m, ctx).model();
        int zeros = 0, moved = 0;
        for (String w : List.of("1.weight", "3.weight", "5.weight")) {
            float[] a = pruned.graph().initializer(w).toFloats(), b = tuned.graph().initializer(w).toFloats();
            for (int i = 0; i < a.length; i++) {
                if (a[i] == 0f) {
                    zeros++;
                    assertEquals(0f, b[i], w + "[" + i + "] was pruned and must stay zero through the workers' steps");
                } else if (a[i] != b[i]) moved++;
            }
        }
        assertTrue(zeros > 0.75 * 266_200, "pruned " + zeros);
        assertTrue(moved > 0.9 * (266_200 - zeros), "the surviving weights were trained on the workers: " + moved);
    }

    @Test
    void compressSweepPointsRunAsSparkTasksAndGiveTheSingleProcessTable(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path model = Path.of("../src/test/resources/pytorch/cnn_op13.onnx"), recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "name: s\nsteps:\n  - step: prune\n    options: {method: magnitude, amount: 0.5}\n");
        java.util.function.Function<String, com.fasterxml.jackson.databind.JsonNode> sweep = spark -> {
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            java.io.PrintStream old = System.out;
            System.setOut(new java.io.PrintStream(buf, true));
            try {
                java.util.List<String> args = new java.util.ArrayList<>(List.of("compress", model.toString(), "--recipe", recipe.toString(),
                        "-o", dir.resolve(spark == null ? "a.onnx" : "b.onnx").toString(), "--sweep", "prune.amount=0.2,0.6,0.9", "--json"));
                if (spark != null) args.addAll(List.of("--spark", spark));
                assertEquals(0, io.nnzip.cli.Main.run(args.toArray(String[]::new)));
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(buf.toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                System.setOut(old);
            }
        };
        var here = sweep.apply(null);
        // the test's own local[2] context is the active one in this JVM; the command starts and stops its own
        sc.stop();
        try {
            var there = sweep.apply("local[2]");
            assertEquals(3, there.get("points").size());
            for (int i = 0; i < 3; i++) {
                // the same model and coding; the byte count may differ by the temporary folder's name in the provenance
                assertEquals(here.get("points").get(i).get("params_after"), there.get("points").get(i).get("params_after"));
                assertEquals(here.get("points").get(i).get("coded_bytes").asDouble(), there.get("points").get(i).get("coded_bytes").asDouble(), 64);
                assertTrue(there.get("points").get(i).get("where").asText().startsWith("executor"), there.get("points").get(i).toString());
            }
            assertEquals(here.get("chosen"), there.get("chosen"));
            var ga = io.nnzip.onnx.OnnxReader.read(dir.resolve("a.onnx")).graph();
            var gb = io.nnzip.onnx.OnnxReader.read(dir.resolve("b.onnx")).graph();
            assertEquals(ga.initializers().keySet(), gb.initializers().keySet());
            for (String n : ga.initializers().keySet())
                if (ga.initializer(n).dtype() == io.nnzip.ir.DType.FLOAT) assertEquals(-1, java.util.Arrays.mismatch(ga.initializer(n).toFloats(), gb.initializer(n).toFloats()), n);
        } finally {
            sc = SparkContexts.start("local[2]", 2);
        }
    }

    @Test
    void aMissingDatasetOnAnExecutorIsOneLineNamingIt() {
        Model m = Models.create("mlp", 0.25f, 10, 1);
        TrainSpec spec = new TrainSpec(OnnxWriter.toBytes(m), "/no/such/data.npz", 0, new float[] {0}, new float[] {1}, 1, 8, 1e-3f, "adam", 0.9f, 0f, 1, 2, "int8", 1, 1);
        NnzipException e = assertThrows(NnzipException.class, () -> DataParallel.run(sc, spec, 64, s -> {}));
        assertTrue(e.getMessage().contains("/no/such/data.npz") && e.getMessage().contains("worker"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void moreWorkersThanSlotsAndAnUnreachableMasterAreRefused() {
        NnzipException slots = assertThrows(NnzipException.class, () -> SparkContexts.start("local[2]", 3));
        assertTrue(slots.getMessage().contains("--workers 3 exceeds the 2 task slots"), slots.getMessage());
        NnzipException master = assertThrows(NnzipException.class, () -> SparkContexts.start("spark://127.0.0.1:1", 1));
        assertTrue(master.getMessage().startsWith("cannot reach Spark master spark://127.0.0.1:1"), master.getMessage());
        NnzipException jdk = assertThrows(NnzipException.class, () -> io.nnzip.dist.ScaleOuts.checkJdk(Runtime.Version.parse("25.0.2")));
        assertTrue(jdk.getMessage().startsWith("--spark needs JDK >= 25.0.3"), jdk.getMessage());
        io.nnzip.dist.ScaleOuts.checkJdk(Runtime.Version.parse("25.0.3"));
    }
}
