package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.pass.PassContext;
import io.nnzip.pass.PassResult;
import io.nnzip.pipeline.Passes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bayes-group step on a PyTorch export: neurons leave structurally, the result runs in ONNX Runtime as in the engine. */
class BayesGroupPassTest {
    @Test
    void recipesBuildTheStepAndBadOptionsAreRefusedByName() {
        BayesGroupPass p = (BayesGroupPass) Passes.build("bayes-group", Map.of("threshold", -2, "bit_rule", "mean", "scale_lr", 3, "init_z_log_var", -6));
        assertEquals(-6f, p.initZLogVar());
        assertEquals(-2f, p.threshold());
        assertEquals("mean", p.bitRule());
        assertEquals(3f, p.scaleLr());
        NnzipException e = assertThrows(NnzipException.class, () -> BayesGroupPass.of(Map.of("bit_rule", "max")));
        assertTrue(e.getMessage().contains("bit_rule"), e.getMessage());
        assertThrows(NnzipException.class, () -> BayesGroupPass.of(Map.of("finetune", 0)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void removesNeuronsOfAForeignMlpAndTheResultRunsInOrt() throws Exception {
        Model m = io.nnzip.engine.ModelValidator.read(Path.of("src/test/resources/pytorch-normalized/mlp.onnx"));
        Dataset test = Datasets.load("fashion-mnist", "test"); // the smaller split: the pass only needs some labelled images
        Dataset train = test.head(1024), val = test.tail(128);
        PassContext ctx = PassContext.builder().data(train, val).normalization(Normalization.parse("0.2860,0.3530")).threads(2).build();
        PassResult res = BayesGroupPass.of(Map.of("finetune", 3, "lr", 0.003, "warmup", 0.5, "threshold", -3, "retrain", 0)).run(m, ctx);
        Model out = res.model();
        int[] w1 = out.graph().initializer("1.weight").shape(), w2 = out.graph().initializer("3.weight").shape(), w3 = out.graph().initializer("5.weight").shape();
        List<Map<String, Object>> layers = (List<Map<String, Object>>) res.report().get("layers");
        // hand count: the rows a layer lost are the columns the next one lost, and the report says as many
        assertEquals(300 - (int) layers.get(0).get("removed_groups"), w1[0]);
        assertEquals(w1[0], w2[1]);
        assertEquals(100 - (int) layers.get(1).get("removed_groups"), w2[0]);
        assertEquals(w2[0], w3[1]);
        assertEquals(10, w3[0], "the classifier keeps its outputs");
        assertEquals(784, w1[1]);
        assertEquals(w1[0], out.graph().initializer("1.bias").size());
        assertTrue((long) res.report().get("removed_groups") > 0, "some neurons should go: " + res.report().get("layers"));
        assertEquals(1, out.graph().runtimeInputs().size(), "the noise inputs are gone");
        Map<String, Integer> qps = (Map<String, Integer>) res.report().get("qp_of");
        assertEquals(3, qps.size(), qps.toString());
        // ONNX Runtime on the written bytes against the engine, on real images
        Tensor x = Tensor.of(java.util.Arrays.copyOf(val.pixels(), 16 * 784), 16, 1, 28, 28);
        Model back = OnnxReader.read(OnnxWriter.toBytes(out), null);
        float[] engine = new Executor(out).run(Map.of("input", x)).get("logits").floats();
        float[] ort;
        try (OrtRunner o = new OrtRunner(back, 1)) {
            ort = o.run(Map.of("input", x)).get("logits").floats();
        }
        assertEquals(160, ort.length);
        for (int i = 0; i < ort.length; i++) assertEquals(engine[i], ort[i], 1e-4 * Math.max(1, Math.abs(engine[i])), "logit " + i);
        assertTrue((Float) res.report().get("accuracy") > 0.6f, "accuracy " + res.report().get("accuracy"));
    }
}
