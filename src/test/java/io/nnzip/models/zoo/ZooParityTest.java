package io.nnzip.models.zoo;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole exporter-style graphs: ONNX Runtime accepts them with the declared output shape, and our engine's
 * outputs agree with ONNX Runtime's to 1e-4 of the output's scale.
 */
class ZooParityTest {
    static Tensor input(int batch, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[batch * 3 * size * size];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return Tensor.of(x, batch, 3, size, size);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenetv2", "squeezenet", "shufflenetv2"})
    void engineAgreesWithOnnxRuntime(String name) {
        Model m = Zoo.build(name, 64, 0.5, 10, 42);
        // through bytes, as a user's file would arrive
        m = OnnxReader.read(OnnxWriter.toBytes(m), null);
        Map<String, Tensor> feeds = Map.of("input", input(2, 64, 7));
        Tensor ort;
        try (OrtRunner r = new OrtRunner(m, 2)) {
            ort = r.run(feeds).get("output");
        }
        assertArrayEquals(new int[] {2, 10}, ort.shape());
        assertClose(name, ort, new Executor(m).run(feeds).get("output"));
        // the fused inference graph (BN folding, Conv+Relu+MaxPool epilogues) must agree just as well
        assertClose(name + " (fused)", ort, new Executor(io.nnzip.engine.Fusion.forInference(m)).run(feeds).get("output"));
    }

    static void assertClose(String name, Tensor ort, Tensor ours) {
        assertArrayEquals(ort.shape(), ours.shape());
        float[] a = ort.floats(), b = ours.floats();
        double scale = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertTrue(scale > 0, "degenerate output");
        assertTrue(diff <= 1e-4 * scale, name + ": max abs diff " + diff + " vs output scale " + scale);
    }
}
