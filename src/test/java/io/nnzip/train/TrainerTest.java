package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** Ten well-separated classes of noisy 28×28 blobs: learnable in a few steps, no files needed. */
    static Dataset synthetic(int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * 784];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
            int cy = 4 + (y[i] / 5) * 14, cx = 3 + (y[i] % 5) * 5;
            for (int p = 0; p < 784; p++) {
                int py = p / 28, pxl = p % 28;
                double d = Math.hypot(py - cy - 3, pxl - cx - 1);
                px[i * 784 + p] = (float) Math.max(0, Math.min(1, (d < 4 ? 0.9 : 0.05) + r.nextGaussian() * 0.1));
            }
        }
        return new Dataset("blobs", px, y, 1, 28, 28, 10);
    }

    @Test
    void mlpLearnsAFashionMnistSubsetInOneEpoch() {
        io.nnzip.testing.TestData.assumeFashion();
        Dataset train = Datasets.load("fashion-mnist", "train").head(2000), test = Datasets.load("fashion-mnist", "test").head(1000);
        Normalization norm = Normalization.measure(train);
        try (Trainer t = new Trainer(Models.mlp(1f, 10, 1), new Trainer.Options().epochs(1).batchSize(32).lr(1e-3f).seed(1).threads(2))) {
            Trainer.Report r = t.fit(train, test, norm, TrainListener.NONE);
            assertTrue(r.valAccuracy() > 0.70, "accuracy " + r.valAccuracy());
            assertTrue(r.trainLoss() < 1.2, "loss " + r.trainLoss());
        }
    }

    private static float[] trainedWeights(long seed, String optimizer) {
        Dataset d = synthetic(64, 3);
        try (Trainer t = new Trainer(Models.mlp(0.1f, 10, 7), new Trainer.Options().epochs(2).batchSize(16).optimizer(optimizer)
                .lr(0.01f).seed(seed).threads(2).clipNorm(5f).weightDecay(1e-4f))) {
            t.fit(d, null, Normalization.NONE, TrainListener.NONE);
            return t.model().graph().initializer("fc1.weight").floats().clone();
        }
    }

    @Test
    void trainingIsDeterministicForASeed() {
        for (String opt : new String[] {"sgd", "adamw"}) {
            assertArrayEquals(trainedWeights(4, opt), trainedWeights(4, opt));
            assertTrue(!java.util.Arrays.equals(trainedWeights(4, opt), trainedWeights(5, opt)));
        }
    }

    @Test
    void frozenLayersStayPutAndTheSourceModelIsUntouched() {
        Model m = Models.mlp(0.1f, 10, 7);
        float[] before1 = m.graph().initializer("fc1.weight").floats().clone(), before0 = m.graph().initializer("fc0.weight").floats().clone();
        try (Trainer t = new Trainer(m, new Trainer.Options().epochs(1).batchSize(16).lr(0.01f).threads(1).trainable(null, "fc0"))) {
            t.fit(synthetic(32, 1), null, Normalization.NONE, TrainListener.NONE);
            assertArrayEquals(before0, t.model().graph().initializer("fc0.weight").floats());
            assertTrue(!java.util.Arrays.equals(before1, t.model().graph().initializer("fc1.weight").floats()));
        }
        assertArrayEquals(before1, m.graph().initializer("fc1.weight").floats());
    }

    @Test
    void trainedModelEvaluatesTheSameInTheEngineAndOnnxRuntime() {
        Dataset d = synthetic(200, 9);
        Model trained;
        try (Trainer t = new Trainer(Models.mlp(0.2f, 10, 2), new Trainer.Options().epochs(2).batchSize(20).lr(3e-3f).threads(2))) {
            Trainer.Report r = t.fit(d, d, Normalization.NONE, TrainListener.NONE);
            assertTrue(r.valAccuracy() > 0.9, "synthetic accuracy " + r.valAccuracy());
            trained = OnnxReader.read(OnnxWriter.toBytes(t.model()), null);
        }
        Evaluator.Result engine = Evaluator.evaluate(Evaluator.engine(trained, io.nnzip.engine.Parallel.common()), d, Normalization.NONE, 64);
        try (OrtRunner ort = new OrtRunner(trained, 1)) {
            Evaluator.Result o = Evaluator.evaluate(Evaluator.ort(trained, ort), d, Normalization.NONE, 64);
            assertEquals(o.accuracy(), engine.accuracy());
            assertEquals(o.loss(), engine.loss(), 1e-4);
            for (int c = 0; c < 10; c++) assertArrayEquals(o.confusion()[c], engine.confusion()[c]);
        }
        assertTrue(engine.top5Accuracy() >= engine.accuracy());
    }
}
