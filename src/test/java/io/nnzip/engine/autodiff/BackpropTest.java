package io.nnzip.engine.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Parallel;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whole-graph gradients through {@link Tape} and {@link Backprop} against central finite differences of the
 * same forward pass in float (smooth activations, step and tolerance sized for float so a wrong rule still fails).
 */
class BackpropTest {
    private static final Parallel PAR = new Parallel(2);
    private final Random rnd = new Random(5);

    private float[] random(int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (rnd.nextGaussian() * scale);
        return f;
    }

    /** x (4,6) → Gemm → Tanh = h; y = h + h·s (h read twice) → Reshape via a Shape subgraph → Gemm (transB) → logits. */
    private Model diamond() {
        GraphBuilder b = new GraphBuilder("diamond");
        String x = b.input("x", DType.FLOAT, 4, 6);
        String w1 = b.init("w1", random(6 * 5, 0.5), 6, 5), b1 = b.init("b1", random(5, 0.1), 5);
        String h = b.op("Tanh", b.op("Gemm", new String[] {x, w1, b1}));
        String s = b.init("s", random(5, 0.5), 5);
        String y = b.op("Add", h, b.op("Mul", h, s));
        String shape = b.op("Shape", y);
        String n = b.op("Gather", new String[] {shape, b.init("zero", Tensor.scalarLong(0))}, Attribute.of("axis", 0L));
        String target = b.op("Concat", new String[] {b.op("Unsqueeze", new String[] {n, b.init("axes", Tensor.vector(0))}), b.init("minus1", Tensor.vector(-1))}, Attribute.of("axis", 0L));
        String flat = b.op("Reshape", y, target);
        String w2 = b.init("w2", random(3 * 5, 0.5), 3, 5);
        b.rename(b.op("Gemm", new String[] {flat, w2}, Attribute.of("transB", 1L)), "logits");
        b.output("logits", DType.FLOAT, 4, 3);
        return b.build(13);
    }

    private static float loss(Tape t, Tensor x, int[] labels) {
        Tensor z = t.forward(Map.of("x", x), false).get("logits");
        return Losses.softmaxCrossEntropy(z.floats(), labels, 4, 3, 0f, null);
    }

    @Test
    void gradientsOfAllParametersMatchFiniteDifferences() {
        Model m = diamond();
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        List<String> params = List.of("w1", "b1", "s", "w2");
        Backprop bp = new Backprop(tape, params);
        Tensor x = Tensor.of(random(24, 1), 4, 6);
        int[] labels = {0, 2, 1, 2};
        Tensor z = tape.forward(Map.of("x", x), false).get("logits");
        float[] dz = new float[12];
        Losses.softmaxCrossEntropy(z.floats(), labels, 4, 3, 0f, dz);
        Map<String, Tensor> g = bp.run(Map.of("logits", Tensor.of(dz, 4, 3)));
        assertEquals(params.size(), g.size());
        for (String p : params) {
            float[] w = m.graph().initializer(p).floats(), an = g.get(p).floats().clone();
            for (int i = 0; i < w.length; i++) {
                float orig = w[i], h = 1e-2f;
                w[i] = orig + h;
                double lp = loss(tape, x, labels);
                w[i] = orig - h;
                double lm = loss(tape, x, labels);
                w[i] = orig;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, an[i], 2e-3 + 2e-2 * Math.abs(num), p + "[" + i + "]");
            }
        }
    }

    /**
     * t = x·p, u = x·q read first by Muls, then v = t + u read twice: v's gradient is a sum, and Add hands that one
     * array to both t and u, which each get a further contribution later. Summing in place into the shared array
     * would corrupt the other's gradient; finite differences catch it.
     */
    @Test
    void aSummedGradientPassedToTwoInputsIsNotAddedIntoInPlace() {
        GraphBuilder b = new GraphBuilder("shared-sum");
        String x = b.input("x", DType.FLOAT, 3, 4);
        String t = b.op("Mul", x, b.init("p", random(12, 0.5), 3, 4)), u = b.op("Mul", x, b.init("q", random(12, 0.5), 3, 4));
        String o3 = b.op("Mul", t, b.init("k3", random(12, 0.5), 3, 4)), o4 = b.op("Mul", u, b.init("k4", random(12, 0.5), 3, 4));
        String v = b.op("Add", t, u);
        String o1 = b.op("Tanh", v), o2 = b.op("Mul", v, b.init("k2", random(12, 0.5), 3, 4));
        String sum = b.op("Add", b.op("Add", o1, o2), b.op("Add", o3, o4));
        b.rename(b.op("Gemm", new String[] {sum, b.init("w", random(4 * 3, 0.5), 4, 3)}), "logits");
        b.output("logits", DType.FLOAT, 3, 3);
        Model m = b.build(13);
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        List<String> params = List.of("p", "q");
        Tensor xs = Tensor.of(random(12, 1), 3, 4);
        int[] labels = {0, 2, 1};
        java.util.function.Supplier<Float> loss = () -> Losses.softmaxCrossEntropy(tape.forward(Map.of("x", xs), false).get("logits").floats(), labels, 3, 3, 0f, null);
        Tensor z = tape.forward(Map.of("x", xs), false).get("logits");
        float[] dz = new float[9];
        Losses.softmaxCrossEntropy(z.floats(), labels, 3, 3, 0f, dz);
        Map<String, Tensor> g = new Backprop(tape, params).run(Map.of("logits", Tensor.of(dz, 3, 3)));
        Map<String, float[]> an = Map.of("p", g.get("p").floats().clone(), "q", g.get("q").floats().clone());
        for (String p : params) {
            float[] w = m.graph().initializer(p).floats();
            for (int i = 0; i < w.length; i++) {
                float orig = w[i], h = 1e-2f;
                w[i] = orig + h;
                double lp = loss.get();
                w[i] = orig - h;
                double lm = loss.get();
                w[i] = orig;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, an.get(p)[i], 2e-3 + 2e-2 * Math.abs(num), p + "[" + i + "]");
            }
        }
    }

    @Test
    void frozenParametersGetNoGradient() {
        Model m = diamond();
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        Tensor z = tape.forward(Map.of("x", Tensor.of(random(24, 1), 4, 6)), false).get("logits");
        Map<String, Tensor> g = new Backprop(tape, List.of("w2")).run(Map.of("logits", Tensor.of(random(12, 1), 4, 3)));
        assertEquals(List.of("w2"), List.copyOf(g.keySet()));
        assertFalse(g.containsKey("w1"));
        assertTrue(z.size() == 12);
    }

    @Test
    void aTrainablePathThroughANonDifferentiableOpIsAnError() {
        GraphBuilder b = new GraphBuilder("floor");
        String x = b.input("x", DType.FLOAT, 2, 3);
        String w = b.init("w", random(6, 1), 2, 3);
        b.rename(b.op("Mul", b.op("Floor", b.op("Add", x, w)), x), "out");
        b.output("out", DType.FLOAT, 2, 3);
        Model m = b.build(13);
        Tape tape = new Tape(m.graph(), 13, PAR, 0);
        tape.forward(Map.of("x", Tensor.of(random(6, 1), 2, 3)), false);
        NnzipException e = assertThrows(NnzipException.class, () -> new Backprop(tape, List.of("w")).run(Map.of("out", Tensor.of(new float[6], 2, 3))));
        assertTrue(e.getMessage().contains("Floor") && e.getMessage().contains("no gradient"), e.getMessage());
    }
}
