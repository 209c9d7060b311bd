package io.nnzip.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate refuses for real: a step whose model computes non-finite outputs and a step that costs more accuracy than
 * the recipe's budget are both rolled back, and the run continues from the last kept model. (The compress test's
 * "bad" step only ever tripped option validation.) Accuracy is counted in ONNX Runtime against labels that the
 * input model gets right by construction, so the drop is measured, not asserted by the test's own arithmetic.
 */
class PipelineGateTest {
    @TempDir Path dir;

    static Model linear(float[] w) {
        GraphBuilder b = new GraphBuilder("lin");
        String x = b.input("x", DType.FLOAT, -1, 8);
        String y = b.op("MatMul", x, b.init("w", w, 8, 4));
        b.rename(y, "logits");
        b.output("logits", DType.FLOAT, -1, 4);
        return b.build(13);
    }

    /** Passes that do what their names say to the weights (the pipeline cannot tell them from real ones). */
    static io.nnzip.pass.Pass step(String command) {
        return new io.nnzip.pass.Pass() {
            @Override public String name() { return command; }

            @Override
            public io.nnzip.pass.PassResult run(Model in, io.nnzip.pass.PassContext ctx) {
                Model m = in.copy();
                float[] w = m.graph().initializer("w").floats().clone();
                for (int i = 0; i < w.length; i++)
                    w[i] = switch (command) {
                        case "nan" -> i == 0 ? Float.NaN : w[i];
                        case "negate" -> -w[i];
                        default -> w[i] * 0.999f;
                    };
                m.graph().initializers().put("w", Tensor.of(w, 8, 4));
                return new io.nnzip.pass.PassResult(m, Map.of("command", command), Map.of());
            }
        };
    }

    @Test
    void nonFiniteOutputsAndOverBudgetDropsAreRolledBack() throws Exception {
        Setup su = setup(5);
        float[] w = su.w();
        Path in = su.in();
        Gate gate = su.gate();
        // built as a value: Recipe.parse checks step names against the built-in passes, and these are fakes
        Recipe recipe = new Recipe("gate", "", 1.0, java.util.stream.Stream.of("shrink", "nan", "negate", "shrink")
                .map(n -> new Recipe.Step(n, Map.of(), null, null)).toList(), null);
        Pipeline.Result res = new Pipeline(gate, s -> {}, (name, options) -> step(name))
                .run(in, recipe, io.nnzip.pass.PassContext.builder().log(s -> {}).build(), dir);
        List<StepRecord> s = res.steps();
        assertEquals(List.of("baseline", "kept", "rolled back", "rolled back", "kept"), s.stream().map(StepRecord::status).toList());
        assertTrue(s.get(2).attempts().getLast().outcome().contains("not finite"), s.get(2).attempts().toString());
        assertTrue(s.get(3).attempts().getLast().outcome().contains("points below"), s.get(3).attempts().toString());
        assertEquals(100.0, res.baseline().accuracy(), 1e-9);
        // the final model is two shrinks of the input: neither refused step left a trace
        float[] fin = OnnxReader.read(res.finalModel()).graph().initializer("w").floats();
        for (int i = 0; i < w.length; i++) assertEquals(w[i] * 0.999f * 0.999f, fin[i], 1e-6f);
    }

    @Test
    void aStepsOwnBudgetAppliesToThatStepOnly() throws Exception {
        Setup su = setup(6);
        float[] w = su.w();
        Path in = su.in();
        Gate gate = su.gate();
        // negating the weights turns every top-1 into the bottom-1: the first step may lose it all, the later ones 1 point
        Recipe recipe = new Recipe("own", "", 1.0, List.of(new Recipe.Step("negate", Map.of(), null, null, 100.0),
                new Recipe.Step("negate", Map.of(), null, null), new Recipe.Step("negate", Map.of(), null, null)), null);
        Pipeline.Result res = new Pipeline(gate, s -> {}, (name, options) -> step(name))
                .run(in, recipe, io.nnzip.pass.PassContext.builder().log(s -> {}).build(), dir);
        assertEquals(List.of("baseline", "kept", "kept", "rolled back"), res.steps().stream().map(StepRecord::status).toList());
        assertEquals(0.0, res.steps().get(1).measurement().accuracy(), 1e-9);
        assertTrue(res.steps().get(3).attempts().getLast().outcome().contains("(budget 1.00)"), res.steps().get(3).attempts().toString());
        assertArrayEquals(w, OnnxReader.read(res.finalModel()).graph().initializer("w").floats());
        assertThrows(io.nnzip.ir.NnzipException.class, () -> new Recipe.Step("prune", Map.of(), null, null, -1.0));
    }

    /** Random weights written as the input model, and a gate counting (in ONNX Runtime) its agreement with that model's top-1. */
    record Setup(float[] w, Path in, Gate gate) {}

    Setup setup(long seed) {
        Random r = new Random(seed);
        float[] w = new float[32], x = new float[64 * 8];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Model input = linear(w);
        Path in = dir.resolve("in.onnx");
        OnnxWriter.write(input, in);
        Tensor probe = Tensor.of(x, 64, 8);
        int[] labels = top1(input, probe);
        Gate.Accuracy percent = m -> {
            int[] got = top1(m, probe);
            int ok = 0;
            for (int i = 0; i < got.length; i++) if (got[i] == labels[i]) ok++;
            return 100.0 * ok / got.length;
        };
        return new Setup(w, in, new Gate(Map.of("x", probe), 1, percent, m -> 1L));
    }

    static int[] top1(Model m, Tensor x) {
        try (OrtRunner ort = new OrtRunner(m, 1)) {
            float[] y = ort.run(Map.of("x", x)).get("logits").floats();
            int n = x.shape()[0], k = y.length / n;
            int[] out = new int[n];
            for (int i = 0; i < n; i++)
                for (int j = 1; j < k; j++) if (y[i * k + j] > y[i * k + out[i]]) out[i] = j;
            return out;
        }
    }
}
