package io.nnzip.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.train.TrainableParams;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in architectures: valid ONNX that ONNX Runtime runs, with the parameter counts of their definitions. */
class ModelsTest {
    private static long trainable(Model m) {
        return TrainableParams.select(m.graph(), null, null).stream().mapToLong(n -> m.graph().initializer(n).size()).sum();
    }

    @Test
    void parameterCountsMatchTheArchitectures() {
        assertEquals(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10, trainable(Models.create("mlp", 1f, 10, 0)));
        assertEquals((6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10), trainable(Models.create("lenet5", 1f, 10, 0)));
        long cnn = (32 * 9 + 32 + 64) + (64 * 32 * 9 + 64 + 128) + (128 * 64 * 9 + 128 + 256) + (1152 * 256 + 256) + (256 * 10 + 10);
        assertEquals(cnn, trainable(Models.create("cnn", 1f, 10, 0)));
    }

    @Test
    void everyModelRunsInOnnxRuntimeWithTheContractedNames() {
        for (String name : Models.NAMES) {
            Model m = Models.create(name, name.equals("studentnet") ? 0.5f : 1f, 10, 3);
            GraphValidator.validate(m.graph());
            Model back = OnnxReader.read(OnnxWriter.toBytes(m), null);
            assertEquals("input", back.graph().runtimeInputs().getFirst().name());
            assertEquals("logits", back.graph().outputNames().getFirst());
            float[] x = new float[2 * 784];
            for (int i = 0; i < x.length; i++) x[i] = (i % 17) / 17f;
            try (OrtRunner ort = new OrtRunner(back, 1)) {
                Tensor y = ort.run(Map.of("input", Tensor.of(x, 2, 1, 28, 28))).get("logits");
                assertArrayEquals(new int[] {2, 10}, y.shape(), name);
                for (float v : y.floats()) assertTrue(Float.isFinite(v), name);
            }
        }
    }

    @Test
    void widthMultiplierScalesStudentNet() {
        long full = trainable(Models.create("studentnet", 1f, 10, 0)), half = trainable(Models.create("studentnet", 0.5f, 10, 0));
        assertTrue(half < full / 2.5, half + " vs " + full);
        long dw = Models.create("studentnet", 1f, 10, 0).graph().nodes().stream().filter(n -> n.opType().equals("Conv") && n.attrInt("group", 1) > 1).count();
        assertEquals(5, dw);
    }

    @Test
    void seedsMakeModelsReproducible() {
        assertEquals(Models.create("cnn", 1f, 10, 4).graph(), Models.create("cnn", 1f, 10, 4).graph());
        assertThrows(NnzipException.class, () -> Models.create("vgg", 1f, 10, 0));
    }
}
