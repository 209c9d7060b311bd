package io.nnzip.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The transformer builders: ONNX Runtime runs them to the engine's values, and every parameter gets a gradient. */
class TransformerBuildersTest {
    private static final Parallel PAR = new Parallel(2);

    private static void engineEqualsOrt(Model m, Map<String, Tensor> feeds) {
        float[] got = new Executor(m, PAR).run(feeds).get("logits").floats();
        try (OrtRunner ort = new OrtRunner(m, 2)) {
            float[] want = ort.run(feeds).get("logits").floats();
            double scale = 0;
            for (float f : want) scale = Math.max(scale, Math.abs(f));
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * scale, "logit " + i);
        }
    }

    private static Tensor images(int n) {
        Random r = new Random(3);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return Tensor.of(x, n, 1, 28, 28);
    }

    @Test void vitAtOpsets13And17RunsAsInOrtAndAgrees() {
        Map<String, Tensor> feeds = Map.of("input", images(3));
        Model m13 = VisionTransformer.build(32, 2, 4, 64, 7, 10, 13, 5), m17 = VisionTransformer.build(32, 2, 4, 64, 7, 10, 17, 5);
        engineEqualsOrt(m13, feeds);
        engineEqualsOrt(m17, feeds);
        float[] a = new Executor(m13, PAR).run(feeds).get("logits").floats(), b = new Executor(m17, PAR).run(feeds).get("logits").floats();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4, "decomposed vs fused LayerNorm, logit " + i);
        assertTrue(m17.graph().nodes().stream().anyMatch(n -> n.opType().equals("LayerNormalization")));
    }

    @Test void causalLmIsCausalAndRunsAsInOrt() {
        Model m = TinyCausalLm.build(16, 6, 16, 2, 2, 13, 7);
        long[] ids = {1, 5, 9, 2, 0, 15, 3, 3, 3, 3, 3, 3};
        engineEqualsOrt(m, Map.of("ids", Tensor.ofLongs(ids, 2, 6)));
        // changing the last token leaves every earlier position's logits unchanged
        long[] changed = ids.clone();
        changed[5] = 4;
        float[] a = new Executor(m, PAR).run(Map.of("ids", Tensor.ofLongs(ids, 2, 6))).get("logits").floats();
        float[] b = new Executor(m, PAR).run(Map.of("ids", Tensor.ofLongs(changed, 2, 6))).get("logits").floats();
        for (int i = 0; i < 5 * 16; i++) assertEquals(a[i], b[i], 0f, "position " + i / 16);
        assertTrue(java.util.stream.IntStream.range(5 * 16, 6 * 16).anyMatch(i -> a[i] != b[i]));
    }

    @Test void everyVitAndLmParameterGetsAGradient() {
        for (Model m : List.of(VisionTransformer.build(16, 1, 2, 32, 7, 10, 17, 1), VisionTransformer.build(16, 1, 2, 32, 7, 10, 13, 1),
                TinyCausalLm.build(8, 4, 8, 1, 2, 13, 1))) {
            boolean lm = m.graph().inputs().get(0).name().equals("ids");
            List<String> params = m.graph().initializers().entrySet().stream()
                    .filter(e -> e.getValue().dtype() == io.nnzip.ir.DType.FLOAT && !e.getKey().equals("mask")).map(Map.Entry::getKey).toList();
            Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
            Tensor y = tape.forward(Map.of(lm ? "ids" : "input", lm ? Tensor.ofLongs(new long[] {1, 2, 3, 4}, 1, 4) : images(2)), true).get("logits");
            float[] seed = new float[y.size()];
            java.util.Arrays.fill(seed, 1f);
            seed[0] = -3;
            Map<String, Tensor> g = new Backprop(tape, params).run(Map.of("logits", Tensor.of(seed, y.shape())));
            for (String p : params) assertTrue(g.containsKey(p), p + " has no gradient");
        }
    }
}
