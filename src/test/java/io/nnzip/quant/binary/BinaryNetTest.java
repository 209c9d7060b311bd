package io.nnzip.quant.binary;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.ops.BinaryOps;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A binarized 3-conv CNN as written to disk: ONNX Runtime runs the file, nnzip's engine runs the middle layers
 * on bits (lowered, not left in float) and the two agree; the first and last layers stay float.
 */
class BinaryNetTest {
    @ParameterizedTest
    @ValueSource(strings = {"01", "pm1"})
    void writtenFileRunsInOrtAndOnBitsInEngine(String activations) {
        Model cnn = Models.cnn(0.5f, 10, 3);
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[32 * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        LabeledData calib = new LabeledData(Tensor.of(x, 32, 1, 28, 28), null);
        QuantConfig c = new QuantConfig();
        c.scheme = "binary";
        c.activations = activations;
        WeightSchemes.Applied a = BinaryNet.apply(cnn, c, calib, null, null, s -> {});
        Model file = OnnxReader.read(OnnxWriter.toBytes(a.model()), null);
        Map<String, Tensor> feeds = Map.of(file.graph().runtimeInputs().getFirst().name(), calib.slice(0, 8));
        Tensor ort;
        try (OrtRunner o = new OrtRunner(file, 1)) {
            ort = o.run(feeds).values().iterator().next();
        }
        Model fused = Fusion.forInference(file);
        // conv2, conv3 and the hidden linear layer; conv1 (writing bits for conv2) and the classifier stay float
        assertEquals(3, fused.graph().nodes().stream().filter(n -> n.opType().equals(BinaryOps.OP)).count());
        assertEquals(1, fused.graph().nodes().stream().filter(n -> n.opType().equals(BinaryOps.CONV_BITS)).count());
        assertEquals(1, fused.graph().nodes().stream().filter(n -> n.opType().equals("Conv") || n.opType().equals("Gemm")).count());
        Tensor ours = new Executor(fused).run(feeds).values().iterator().next();
        float scale = 0;
        for (float v : ort.floats()) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < ort.size(); i++) assertEquals(ort.floats()[i], ours.floats()[i], 1e-4f * (1 + scale), "logit " + i);
    }
}
