package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.engine.ops.FakeQuantOps;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * FakeQuantize against the ONNX arithmetic and its gradients against finite differences where the function is
 * differentiable: loss L = Σ c·y with y = FakeQuantize(x, s, zp) over uint8 [0, 255].
 */
class FakeQuantGradTest {
    static final float ZP = 10;

    static Model graph(float[] x, float s) {
        GraphBuilder b = new GraphBuilder("fq");
        b.node("fq", FakeQuantOps.OP, List.of(b.init("x", Tensor.of(x.clone(), x.length)), b.init("s", Tensor.scalar(s)), b.init("zp", Tensor.scalar(ZP))),
                List.of("y"), Attribute.of("qmin", 0L), Attribute.of("qmax", 255L));
        b.output("y", DType.FLOAT);
        return b.build(13);
    }

    static double loss(float[] x, float s, float[] c) {
        float[] y;
        try (Parallel p = new Parallel(1)) {
            y = new Executor(graph(x, s), p).run(Map.of()).get("y").floats();
        }
        double l = 0;
        for (int i = 0; i < y.length; i++) l += (double) c[i] * y[i];
        return l;
    }

    static Map<String, Tensor> grads(float[] x, float s, float[] c) {
        try (Parallel p = new Parallel(1)) {
            Model m = graph(x, s);
            Tape t = new Tape(m.graph(), 13, p, 1);
            t.forward(Map.of(), true);
            Map<String, Tensor> g = new Backprop(t, List.of("x", "s")).run(Map.of("y", Tensor.of(c.clone(), c.length)));
            return Map.of("x", g.get("x").copy(), "s", g.get("s").copy());
        }
    }

    @Test
    void forwardIsQuantizeThenDequantize() {
        float s = 0.05f;
        float[] x = {-1f, -0.5f, 0.024f, 0.025f, 0.075f, 3.3f, 12.74f, 100f};
        float[] y;
        try (Parallel p = new Parallel(1)) {
            y = new Executor(graph(x, s), p).run(Map.of()).get("y").floats();
        }
        for (int i = 0; i < x.length; i++) assertEquals(QuantMath.fake(x[i], s, (int) ZP, 0, 255), y[i], 0f, "x=" + x[i]);
    }

    @Test
    void saturatedRegionsMatchFiniteDifferencesExactly() {
        float s = 0.05f;
        // below qmin: x/s + zp < 0; above qmax: x/s + zp > 255
        float[] x = {-2f, -1.5f, -0.9f, 13f, 14f, 20f};
        float[] c = {0.3f, -1.2f, 0.7f, 1.1f, -0.4f, 0.9f};
        Map<String, Tensor> g = grads(x, s, c);
        float h = 1e-3f;
        for (int i = 0; i < x.length; i++) {
            float[] xp = x.clone(), xm = x.clone();
            xp[i] += h;
            xm[i] -= h;
            assertEquals((loss(xp, s, c) - loss(xm, s, c)) / (2 * h), g.get("x").floats()[i], 1e-6, "dL/dx[" + i + "]");
        }
        double fd = (loss(x, s + 1e-5f, c) - loss(x, s - 1e-5f, c)) / 2e-5;
        assertEquals(fd, g.get("s").floats()[0], 1e-3 * Math.abs(fd) + 1e-4, "dL/ds with every element saturated");
    }

    @Test
    void insideTheRangeTheStraightThroughSlopeIsTheSecantOverWholeSteps() {
        float s = 0.05f;
        SplittableRandom r = new SplittableRandom(4);
        float[] x = new float[40], c = new float[40];
        for (int i = 0; i < x.length; i++) {
            // at least 0.2 steps from a rounding boundary, so a small change of s crosses none
            x[i] = s * (float) (r.nextInt(-9, 150) + r.nextDouble() * 0.6 - 0.3);
            c[i] = (float) (r.nextDouble() * 2 - 1);
        }
        Map<String, Tensor> g = grads(x, s, c);
        for (int i = 0; i < x.length; i++) {
            // moving x by k whole steps moves y by exactly k steps while inside the range: slope 1 = the STE's
            float[] xp = x.clone();
            xp[i] += 4 * s;
            double secant = (loss(xp, s, c) - loss(x, s, c)) / (4 * s);
            assertEquals(secant, g.get("x").floats()[i], 1e-3 * Math.abs(c[i]) + 1e-5, "dL/dx[" + i + "]");
        }
        // d/ds away from rounding jumps is Σ c·round(x/s) (finite differences see that); LSQ adds the STE term Σ c·(-x/s)
        float h = 5e-5f;
        double fd = (loss(x, s + h, c) - loss(x, s - h, c)) / (2 * h), ste = 0;
        for (int i = 0; i < x.length; i++) ste -= (double) c[i] * (x[i] / s);
        assertEquals(fd + ste, g.get("s").floats()[0], 1e-3 * Math.abs(fd) + 1e-2, "dL/ds (LSQ)");
    }
}
