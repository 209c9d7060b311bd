package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.testing.TestData;
import io.nnzip.train.Evaluator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The soft targets the distillation loop uses come from the teacher seeing the input it was trained on: the
 * teacher's top-1 accuracy on the (shuffled, cached) training batches the loop feeds it equals ONNX Runtime's
 * accuracy of the same file on the same images in the teacher's own normalization, while the student's batches
 * arrive in a different one. A teacher fed the student's normalization, or targets out of step with the shuffled
 * batch's labels, would score far lower.
 */
class TeacherFeedTest {
    @Test
    void teacherAccuracyOnTheFedBatchesEqualsOrtOnThoseImages() {
        TestData.assumeFashion();
        Model teacher = OnnxReader.read(Path.of("src/test/resources/transformers/vit_op17.onnx"));
        Dataset train = Datasets.load("fashion-mnist", "train").head(384);
        Normalization teacherNorm = Normalization.NONE, studentNorm = new Normalization(new float[] {0.2860f}, new float[] {0.3530f});
        Model student = Models.create("vit", 0.5f, 10, 1);
        DistillConfig cfg = new DistillConfig(4f, 0.9f, List.of(), 0f, 1, 128, 1e-3f, 1, "constant", false);
        Distiller.Result r = Distiller.run(student, List.of(teacher), List.of(teacherNorm), cfg, train, train.head(128), studentNorm, false,
                new io.nnzip.train.TrainListener() {});
        assertEquals(3, r.cachedBatches(), "every shuffled batch found its soft targets in the cache");

        int n = train.size(), size = train.imageSize();
        float[] x = java.util.Arrays.copyOf(train.pixels(), n * size);
        int correct;
        try (OrtRunner ort = new OrtRunner(teacher, 1)) {
            String in = ort.inputNames().iterator().next();
            float[] z = ort.run(java.util.Map.of(in, Tensor.of(x, n, 1, 28, 28))).values().iterator().next().floats();
            correct = Evaluator.correctTop1(z, train.labels());
        }
        double ortAccuracy = (double) correct / n;
        assertTrue(ortAccuracy > 0.6, "the fixture teacher is trained: " + ortAccuracy);
        // one image of slack for a near-tie of two logits between the engine and ONNX Runtime
        assertEquals(ortAccuracy, r.teacherTrainingAccuracy(), 1.0 / n + 1e-9);
    }

    /**
     * With α = 0 the distillation objective is the hard-label cross-entropy alone, so the distilled student and the
     * baseline must come out identical: same initial weights, shuffling, batches, learning rate and schedule. A
     * baseline trained on any other budget scores differently on the held-out images.
     */
    @Test
    void alphaZeroDistillationIsTheBaselineExactly() {
        TestData.assumeFashion();
        Model teacher = OnnxReader.read(Path.of("src/test/resources/transformers/vit_op17.onnx"));
        Dataset train = Datasets.load("fashion-mnist", "train").head(1024), test = Datasets.load("fashion-mnist", "test").head(1000);
        DistillConfig cfg = new DistillConfig(1f, 0f, List.of(), 0f, 1, 64, 2e-3f, 5, "cosine", false);
        Distiller.Result r = Distiller.run(Models.create("vit", 0.5f, 10, 5), List.of(teacher), List.of(Normalization.NONE), cfg, train, test,
                Normalization.NONE, true, new io.nnzip.train.TrainListener() {});
        assertTrue(r.studentAccuracy() > 0.2, "the student learned something: " + r.studentAccuracy());
        assertEquals(r.baselineAccuracy(), r.studentAccuracy(), 0f);
    }
}
