package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pipeline.Passes;
import io.nnzip.pipeline.Recipes;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sparse-vd config as recipes build it, and the pass on a task where only one input pixel carries the label. */
class SparseVdPassTest {
    @Test
    void recipesNameTheStepWithValidOptions() {
        assertEquals("sparse-vd", Recipes.builtIn("record-cnn").steps().getFirst().step());
        SparseVdPass p = (SparseVdPass) Passes.build("sparse-vd", Map.of("kl_weight", "0.5", "warmup", 2, "threshold", 2.5));
        assertEquals(0.5f, p.klWeight());
        assertEquals(2f, p.warmup());
        assertEquals(2.5f, p.threshold());
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        NnzipException e = assertThrows(NnzipException.class, () -> SparseVdPass.of(Map.of("kl_weight", -1)));
        assertTrue(e.getMessage().contains("kl_weight"), e.getMessage());
        assertThrows(NnzipException.class, () -> SparseVdPass.of(Map.of("finetune", 0)));
        assertThrows(NnzipException.class, () -> SparseVdPass.of(Map.of("alpha", 1)));
    }

    /** 1×5×5 images of uniform noise; the label is whether pixel 0 is bright. Every other pixel is useless. */
    private static Dataset data(String name, int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * 25];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 25; j++) px[i * 25 + j] = r.nextFloat();
            y[i] = px[i * 25] > 0.5f ? 1 : 0;
        }
        return new Dataset(name, px, y, 1, 5, 5, 2);
    }

    @Test
    void removesTheWeightsOfUselessInputsAndKeepsTheGraph() {
        Random r = new Random(3);
        GraphBuilder g = new GraphBuilder("mlp");
        String x = g.input("x", DType.FLOAT, -1, 1, 5, 5);
        float[] w1 = new float[8 * 25], w2 = new float[2 * 8];
        for (int i = 0; i < w1.length; i++) w1[i] = (float) (0.3 * r.nextGaussian());
        for (int i = 0; i < w2.length; i++) w2[i] = (float) (0.3 * r.nextGaussian());
        String h = g.op("Relu", g.op("Gemm", new String[] {g.op("Flatten", x), g.init("w1", w1, 8, 25), g.init("b1", new float[8], 8)}, Attribute.of("transB", 1L)));
        String y = g.op("Gemm", new String[] {h, g.init("w2", w2, 2, 8), g.init("b2", new float[2], 2)}, Attribute.of("transB", 1L));
        g.output(g.rename(y, "y"), DType.FLOAT);
        Model m = g.build(17);
        PassContext ctx = PassContext.builder().data(data("train", 2048, 1), data("test", 512, 2)).threads(1).build();
        PassResult res = SparseVdPass.of(Map.of("finetune", 8, "lr", 0.01, "warmup", 1, "retrain", 1, "retrain_lr", 0.003)).run(m, ctx);
        Model out = res.model();
        assertEquals(1, out.graph().runtimeInputs().size(), "the noise inputs are gone");
        assertEquals(m.graph().nodes().size(), out.graph().nodes().size(), "the noise branches are gone");
        float[] v = out.graph().initializer("w1").floats();
        int usefulKept = 0, uselessKept = 0;
        for (int o = 0; o < 8; o++)
            for (int i = 0; i < 25; i++)
                if (v[o * 25 + i] != 0f) {
                    if (i == 0) usefulKept++;
                    else uselessKept++;
                }
        assertTrue(usefulKept >= 2, "pixel 0 still reaches the hidden layer: " + usefulKept);
        assertTrue(uselessKept < 0.45 * 8 * 24, "weights of useless pixels kept: " + uselessKept + " of 192");
        assertTrue((Float) res.report().get("accuracy") > 0.9f, "accuracy " + res.report().get("accuracy"));
    }

    private static Model tinyMlp(long seed) {
        Random r = new Random(seed);
        GraphBuilder g = new GraphBuilder("mlp");
        String x = g.input("x", DType.FLOAT, -1, 1, 5, 5);
        float[] w1 = new float[8 * 25], w2 = new float[2 * 8];
        for (int i = 0; i < w1.length; i++) w1[i] = (float) (0.3 * r.nextGaussian());
        for (int i = 0; i < w2.length; i++) w2[i] = (float) (0.3 * r.nextGaussian());
        String h = g.op("Relu", g.op("Gemm", new String[] {g.op("Flatten", x), g.init("w1", w1, 8, 25), g.init("b1", new float[8], 8)}, Attribute.of("transB", 1L)));
        String y = g.op("Gemm", new String[] {h, g.init("w2", w2, 2, 8), g.init("b2", new float[2], 2)}, Attribute.of("transB", 1L));
        g.output(g.rename(y, "y"), DType.FLOAT);
        return g.build(17);
    }

    private static int zeros(Model m, String w) {
        int z = 0;
        for (float v : m.graph().initializer(w).floats()) if (v == 0f) z++;
        return z;
    }

    /**
     * A gate retry that only changes the removal (threshold) reuses the trained posterior: the same trained
     * accuracy, and a higher threshold removes a subset of what the lower one removed (one posterior, two cuts —
     * two independent trainings would give unrelated masks); more epochs continue from it; other settings retrain.
     */
    @Test
    void retriesReuseOrContinueTheVariationalTraining() {
        SparseVdPass.forgetTraining();
        Model m = tinyMlp(5);
        PassContext ctx = PassContext.builder().data(data("train", 512, 1), data("test", 256, 2)).threads(1).build();
        Map<String, Object> base = new java.util.HashMap<>(Map.of("finetune", 2, "lr", 0.02, "warmup", 1, "retrain", 0, "threshold", 1));
        PassResult a = SparseVdPass.of(base).run(m, ctx);
        assertEquals(0, a.report().get("training_resumed_from_epoch"));
        base.put("threshold", 3);
        PassResult b = SparseVdPass.of(base).run(m, ctx);
        assertEquals(2, b.report().get("training_resumed_from_epoch"));
        assertEquals(a.report().get("accuracy_trained"), b.report().get("accuracy_trained"));
        float[] wa = a.model().graph().initializer("w1").floats(), wb = b.model().graph().initializer("w1").floats();
        int onlyB = 0;
        for (int i = 0; i < wa.length; i++) if (wb[i] == 0f && wa[i] != 0f) onlyB++;
        assertEquals(0, onlyB, "threshold 3 removed a weight threshold 1 kept");
        assertTrue(zeros(a.model(), "w1") > zeros(b.model(), "w1"), "threshold 1 should remove more: " + zeros(a.model(), "w1") + " vs " + zeros(b.model(), "w1"));
        base.put("finetune", 3);
        PassResult c = SparseVdPass.of(base).run(m, ctx);
        assertEquals(2, c.report().get("training_resumed_from_epoch"), "more epochs continue from the kept training");
        base.put("lr", 0.01);
        PassResult d = SparseVdPass.of(base).run(m, ctx);
        assertEquals(0, d.report().get("training_resumed_from_epoch"), "another learning rate trains from scratch");
        SparseVdPass.forgetTraining();
    }

    /** min_size: a layer below it gets no noise branch and no removal; one that leaves no layer is refused by name. */
    @Test
    @SuppressWarnings("unchecked")
    void minSizeLeavesSmallLayersDense() {
        SparseVdPass.forgetTraining();
        Model m = tinyMlp(7);
        PassContext ctx = PassContext.builder().data(data("train", 512, 1), data("test", 256, 2)).threads(1).build();
        PassResult res = SparseVdPass.of(Map.of("finetune", 2, "lr", 0.02, "warmup", 1, "retrain", 0, "threshold", 0, "min_size", 20)).run(m, ctx);
        java.util.List<Map<String, Object>> layers = (java.util.List<Map<String, Object>>) res.report().get("layers");
        assertEquals(1, layers.size());
        assertEquals("w1", layers.getFirst().get("weight"));
        assertTrue(zeros(res.model(), "w1") > 0, "threshold 0 removes some of w1");
        assertEquals(0, zeros(res.model(), "w2"), "w2 (16 weights) is below min_size 20");
        NnzipException e = assertThrows(NnzipException.class,
                () -> SparseVdPass.of(Map.of("finetune", 1, "min_size", 1000)).run(tinyMlp(7), ctx));
        assertTrue(e.getMessage().contains("min_size"), e.getMessage());
        SparseVdPass.forgetTraining();
    }
}
