package io.nnzip.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SVD on torchvision's VisionTransformer as PyTorch exports it (make_tv_fixture.py: 5 tokens, width 16, 2 layers):
 * nn.MultiheadAttention projects (T, B, D) tokens with a MatMul, batch on axis 1, and (T·B, D) with a Gemm, so a
 * layer's cost per image is not "the dims after the first". Per-layer MACs against hand counts, and --target-macs
 * must land at its budget by the model's own MAC count (before: 0.50 for 0.7, every attention projection counted as
 * one token). ONNX Runtime runs the result.
 */
class TorchMhaFactorizeTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    @ParameterizedTest
    @ValueSource(doubles = {0.7, 0.8})
    void targetMacsCountsEveryToken(double target) {
        Model m = OnnxReader.read(DIR.resolve("tv_vit_op17.onnx"));
        FactorizePass.Result r = FactorizePass.run(m, FactorizeTest.cfg(FactorizeConfig.Method.SVD, null, null, target));
        // in_proj 5·16·48, out_proj 5·16·16, fc1 and fc2 5·16·32, head 16·10
        for (LayerReport l : r.layers()) {
            long want = l.layer().endsWith("self_attention/MatMul") ? 3840 : l.layer().endsWith("self_attention/Gemm") ? 1280
                    : l.layer().contains("/mlp/") ? 2560 : l.layer().endsWith("head/Gemm") ? 160 : -1;
            if (want > 0) assertEquals(want, l.macsBefore(), l.layer());
        }
        assertEquals(34784, r.macsBefore());
        double ratio = (double) r.macsAfter() / r.macsBefore();
        assertTrue(ratio <= target && ratio > target - 0.05, "MACs ratio " + ratio + " for --target-macs " + target);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("tv_vit.npz"));
        try (OrtRunner ort = OrtRunner.exposing(r.model(), List.of(), 2)) {
            Tensor y = ort.run(Map.of("input", a.get("x"))).get("logits");
            assertEquals(List.of(8, 10), java.util.Arrays.stream(y.shape()).boxed().toList());
        }
    }
}
