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
 * SVD of the MatMul-form linear layers of a ViT exported by PyTorch (weights stored (in, out) as MatMul
 * initializers, 3-D (B, N, C) activations): every block's qkv, proj, fc1 and fc2 become two MatMuls, MACs follow the
 * hand count, the first layer's kernel error is the tail of EJML's singular values, and ONNX Runtime runs the result.
 */
class TransformerFactorizeTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void rankSixteenOnEveryLinearOfTheBlocks(String onnx) {
        Model m = OnnxReader.read(DIR.resolve(onnx));
        FactorizePass.Result r = FactorizePass.run(m, FactorizeTest.cfg(FactorizeConfig.Method.SVD, 16, null, null));
        long factorized = r.layers().stream().filter(l -> l.status().equals("factorized")).count();
        assertEquals(16, factorized, r.layers().toString()); // 4 blocks × qkv, proj, fc1, fc2; the 64×10 head is not smaller at rank 16
        // per image, 16 tokens: rank 16 costs 16·16·(in+out) per layer; attention 2·4·16·16·16; patch conv 16·64·49; head 640
        long block = 16L * 16 * (64 + 192) + 16L * 16 * (64 + 64) + 2 * 16L * 16 * (64 + 128) + 2L * 4 * 16 * 16 * 16;
        assertEquals(4 * block + 16L * 64 * 49 + 640, r.macsAfter());
        // the first qkv weight: relative kernel error = √(Σ_{i>16} σᵢ² / Σ σᵢ²) with σ from EJML
        Tensor w = m.graph().initializer("onnx::MatMul_" + (onnx.contains("13") ? "462" : "372"));
        if (w != null) {
            double[] tt = FactorizeTest.svEnergy(w.toFloats(), w.dim(0), w.dim(1), 16);
            double tail = tt[0], total = tt[1];
            LayerReport first = r.layers().stream().filter(l -> l.status().equals("factorized")).findFirst().orElseThrow();
            assertEquals(Math.sqrt(tail / total), first.kernelError(), 1e-4);
        }
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        try (OrtRunner ort = OrtRunner.exposing(r.model(), List.of(), 2)) {
            Tensor y = ort.run(Map.of("input", a.get("x"))).get("logits");
            assertEquals(List.of(8, 10), java.util.Arrays.stream(y.shape()).boxed().toList());
            assertTrue(Float.isFinite(y.floats()[0]));
        }
    }
}
