package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Canonical;
import io.nnzip.engine.Executor;
import io.nnzip.engine.kernels.SparseGemm;
import io.nnzip.engine.kernels.SparseRows;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code prune --amount-per-layer kernel} on foreign graphs: which layers it prunes, decided by hand here, and the result run. */
class KernelGuidedTest {
    static final Path DIR = Path.of("src/test/resources/foreign-cnn");

    static Model load(String name) {
        Model m = OnnxReader.read(DIR.resolve(name + ".onnx"));
        Canonical.apply(m);
        return m;
    }

    /**
     * tf_style: w1 (288 weights) and w3 (2048) are below the sparse kernels' 4096, wd is depthwise, m2 (640) small: dense.
     * w2 (64×32×3×3 at 14×14) runs sparse from 80 % zeros; m1 (512×64 MatMul) once 4·nnz + 20·(512 + 64) < 512·64, i.e.
     * nnz < 5312 (83.8 % zeros). At --amount 0.5 both are raised just past those; at 0.9 both take 0.9.
     */
    @Test
    void tfStyleChoicesByHand() {
        Model m = load("tf_style");
        KernelGuided.Choice half = KernelGuided.choose(m, 0.5);
        assertEquals(Map.of("w1", 0.0, "w2", 0.805, "wd", 0.0, "w3", 0.0, "m1", Math.round((1 - (32768 - 20.0 * 576) / (4 * 32768.0) + 0.005) * 1e6) / 1e6, "m2", 0.0), round(half.amounts()));
        KernelGuided.Choice most = KernelGuided.choose(m, 0.9);
        assertEquals(Map.of("w1", 0.0, "w2", 0.9, "wd", 0.0, "w3", 0.0, "m1", 0.9, "m2", 0.0), round(most.amounts()));

        UnstructuredPruner.prune(m, UnstructuredPruner.Method.MAGNITUDE, 0.5, "layer", half.amounts(), 1);
        float[] w2 = m.graph().initializer("w2").floats(), m1 = m.graph().initializer("m1").floats();
        assertNotNull(SparseWeights.rows(w2, 0, 64, 288), "w2 runs sparse");
        assertTrue(SparseGemm.pays(SparseRows.nonzeros(m1, 0, m1.length), 512, 64), "m1 runs sparse");
        assertEquals(0, zeros(m.graph().initializer("w1").floats()));
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[5 * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        Map<String, Tensor> feeds = Map.of("input", Tensor.of(x, 5, 28, 28, 1));
        Tensor eng = new Executor(m).run(feeds).get("logits");
        try (OrtRunner o = new OrtRunner(m, 1)) {
            assertArrayEquals(o.run(feeds).get("logits").floats(), eng.floats(), 1e-4f);
        }
    }

    /** mini_resnet: the 1-channel 7×7 stem (1176 weights), the 1×1 stride-2 downsample (4×4 output) and the 48×10 classifier stay dense. */
    @Test
    void miniResnetKeepsStemDownsampleAndClassifierDense() {
        Model m = load("mini_resnet");
        Map<String, Double> a = round(KernelGuided.choose(m, 0.9).amounts());
        assertEquals(Map.of("onnx::Conv_63", 0.0, "onnx::Conv_66", 0.9, "onnx::Conv_69", 0.9, "onnx::Conv_72", 0.9, "onnx::Conv_75", 0.9, "onnx::Conv_78", 0.0,
                "fc.weight", 0.0), a);
        // the caller's own amounts win over the choice
        String spec = KernelGuided.spec(KernelGuided.choose(m, 0.9).amounts(), "first=0.5,fc.weight=0.3", m.graph());
        assertTrue(spec.contains("onnx::Conv_63=0.5") && spec.contains("fc.weight=0.3") && spec.contains("onnx::Conv_66=0.9"), spec);
    }

    @Test
    void otherMethodsAndModesAreRefused() {
        assertThrows(NnzipException.class, () -> PruneConfig.of(Map.of("amount_per_layer", "kernel", "method", "sparsegpt")));
        assertThrows(NnzipException.class, () -> PruneConfig.of(Map.of("amount_per_layer", "kernel", "mode", "structured")));
        assertThrows(NnzipException.class, () -> PruneConfig.of(Map.of("amount_per_layer", "sparse")));
        assertEquals("kernel", PruneConfig.of(Map.of("amount_per_layer", "kernel")).amountPerLayer());
    }

    private static Map<String, Double> round(Map<String, Double> m) {
        Map<String, Double> out = new java.util.HashMap<>();
        m.forEach((k, v) -> out.put(k, Math.round(v * 1e6) / 1e6));
        return out;
    }

    private static int zeros(float[] w) {
        int z = 0;
        for (float v : w) if (v == 0f) z++;
        return z;
    }
}
