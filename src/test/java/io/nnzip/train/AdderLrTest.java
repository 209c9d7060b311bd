package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

/** AdderNet's adaptive learning rate: one plain SGD step moves each adder filter by exactly lr·η·√k, other weights as without the hook. */
class AdderLrTest {
    private static Model model() {
        GraphBuilder b = new GraphBuilder("adder");
        b.input("x", DType.FLOAT, -1, 1, 5, 5);
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] w = new float[2 * 9], fc = new float[3 * 2 * 9];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian(0, 0.3);
        for (int i = 0; i < fc.length; i++) fc[i] = (float) r.nextGaussian(0, 0.3);
        String y = b.op(io.nnzip.engine.ops.AdderOps.OP, new String[] {"x", b.init("adder.weight", w, 2, 1, 3, 3)}, Attribute.of("kernel_shape", 3L, 3L));
        y = b.op("Flatten", y, Attribute.of("axis", 1L));
        y = b.op("Gemm", new String[] {y, b.init("fc.weight", fc, 3, 18), b.init("fc.bias", new float[3], 3)}, Attribute.of("transB", 1L), Attribute.of("alpha", 0.05f));
        b.output(y, DType.FLOAT);
        return b.build(13);
    }

    @Test
    void adderFilterStepHasTheAdaptiveNormAndOtherWeightsAreUntouched() {
        Model m = model();
        float eta = 0.1f, lr = 0.5f;
        float[] x = new float[4 * 25];
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Batch batch = new Batch(Tensor.of(x, 4, 1, 5, 5), new int[] {0, 2, 1, 2});
        float[][] with = step(m, batch, lr, new AdderLr(m.graph(), eta)), without = step(m, batch, lr, null);
        float[] w0 = m.graph().initializer("adder.weight").floats();
        double moved = 0, movedPlain = 0;
        for (int i = 0; i < w0.length; i++) {
            moved += Math.pow(with[0][i] - w0[i], 2);
            movedPlain += Math.pow(without[0][i] - w0[i], 2);
        }
        assertEquals(lr * eta * Math.sqrt(18), Math.sqrt(moved), 1e-5, "‖ΔF‖ = lr·η·√k");
        assertNotEquals(Math.sqrt(moved), Math.sqrt(movedPlain), 1e-3, "the hook changed the step");
        // same direction as the plain gradient step
        double dot = 0;
        for (int i = 0; i < w0.length; i++) dot += (with[0][i] - w0[i]) * (without[0][i] - w0[i]);
        assertEquals(1.0, dot / Math.sqrt(moved * movedPlain), 1e-5);
        assertArrayEquals(without[1], with[1], 1e-7f, "the classifier's step is the optimizer's own");
    }

    private static float[][] step(Model m, Batch b, float lr, AdderLr hook) {
        Trainer.Options o = new Trainer.Options().optimizer("sgd").momentum(0f).lr(lr).threads(1);
        if (hook != null) o.hook(hook);
        try (Trainer t = new Trainer(m, o)) {
            t.step(b, lr);
            return new float[][] {t.model().graph().initializer("adder.weight").floats().clone(), t.model().graph().initializer("fc.weight").floats().clone()};
        }
    }
}
