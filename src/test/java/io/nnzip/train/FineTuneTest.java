package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.models.TorchExportedCnn;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fine-tuning a graph shaped like PyTorch's export (BN in training mode with running statistics, Dropout, a
 * Shape→Gather→Unsqueeze→Concat→Reshape subgraph, Gemm transB): accuracy holds or improves, the names stay, and
 * ONNX Runtime computes the same outputs as the engine on the written model.
 */
class FineTuneTest {
    private static Model roundTrip(Model m) { return OnnxReader.read(OnnxWriter.toBytes(m), null); }

    @Test
    void fineTuningAnExportedCnnKeepsAccuracyNamesAndOrtParity() {
        boolean real = java.nio.file.Files.exists(java.nio.file.Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
        Dataset train = real ? io.nnzip.data.Datasets.load("fashion-mnist", "train").head(2000) : TrainerTest.synthetic(1000, 11);
        Dataset test = real ? io.nnzip.data.Datasets.load("fashion-mnist", "test").head(1000) : TrainerTest.synthetic(300, 12);
        Normalization norm = Normalization.measure(train);
        Model exported = roundTrip(TorchExportedCnn.build(4, 8, 8, 16, 10, 3));
        // "pre-training" stands in for the other framework: a short run gives a partly trained model to import
        Model imported;
        try (Trainer t = new Trainer(exported, new Trainer.Options().epochs(2).batchSize(50).lr(3e-3f).seed(1).threads(2))) {
            t.fit(train, null, norm, TrainListener.NONE);
            imported = roundTrip(t.model());
        }
        float before = Evaluator.evaluate(Evaluator.engine(imported, Parallel.common()), test, norm, 100).accuracy();
        Model tuned;
        try (Trainer t = new Trainer(imported, new Trainer.Options().epochs(1).batchSize(50).lr(1e-3f).seed(2).threads(2))) {
            t.fit(train, null, norm, TrainListener.NONE);
            tuned = roundTrip(t.model());
        }
        float after = Evaluator.evaluate(Evaluator.engine(tuned, Parallel.common()), test, norm, 100).accuracy();
        assertTrue(after >= before - 0.02f, "accuracy " + before + " -> " + after);
        assertTrue(after > 0.6f, "accuracy after fine-tuning " + after);
        assertEquals("input.1", tuned.graph().runtimeInputs().getFirst().name());
        assertEquals("output", tuned.graph().outputNames().getFirst());
        assertEquals(exported.graph().nodes().size(), tuned.graph().nodes().size());
        // running statistics moved away from their initial (0, 1)
        assertTrue(tuned.graph().initializer("features.1.running_var").floats()[0] != 1f);

        float[] x = new float[7 * 784];
        System.arraycopy(test.pixels(), 0, x, 0, x.length);
        Tensor in = Tensor.of(x, 7, 1, 28, 28);
        float[] ours = new Executor(tuned).run(Map.of("input.1", in)).get("output").floats();
        try (OrtRunner ort = new OrtRunner(tuned, 1)) {
            float[] theirs = ort.run(Map.of("input.1", in)).get("output").floats();
            for (int i = 0; i < ours.length; i++) assertEquals(theirs[i], ours[i], 1e-4f * Math.max(1f, Math.abs(theirs[i])), "output " + i);
        }
    }

    @Test
    void studentNetTrainsThroughTheJavaApi() {
        Dataset d = TrainerTest.synthetic(200, 4);
        try (Trainer t = new Trainer(Models.studentNet(0.5f, 10, 1), new Trainer.Options().epochs(3).batchSize(20).lr(5e-3f).threads(2))) {
            Trainer.Report r = t.fit(d, d, Normalization.NONE, TrainListener.NONE);
            assertTrue(r.epochs().get(2).trainLoss() < r.epochs().get(0).trainLoss(), "loss should fall: " + r.epochs());
            Model m = roundTrip(t.model());
            float[] x = new float[2 * 784];
            try (OrtRunner ort = new OrtRunner(m, 1)) {
                float[] a = ort.run(Map.of("input", Tensor.of(x, 2, 1, 28, 28))).get("logits").floats();
                float[] b = new Executor(m).run(Map.of("input", Tensor.of(x, 2, 1, 28, 28))).get("logits").floats();
                for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4f * Math.max(1f, Math.abs(a[i])));
            }
        }
    }
}
