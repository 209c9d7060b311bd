package io.nnzip.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Losses;
import io.nnzip.train.TrainableParams;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whole-model gradients of the built-in architectures in training mode (batch-statistics BN, residual adds,
 * strided and 1×1 projection convs, depthwise convs, ReLU6, global pooling) against central differences of the
 * same training-mode forward, on sampled parameter elements.
 */
class ModelGradientTest {
    private static final Parallel PAR = new Parallel(2);

    private static float loss(Tape t, Tensor x, int[] y) {
        Tensor z = t.forward(Map.of("input", x), true).get("logits");
        return Losses.softmaxCrossEntropy(z.floats(), y, y.length, 10, 0f, null);
    }

    private static void check(Model m, float h, String skip) {
        Random r = new Random(3);
        float[] px = new float[4 * 784];
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
        Tensor x = Tensor.of(px, 4, 1, 28, 28);
        int[] y = {1, 7, 3, 0};
        List<String> params = List.copyOf(TrainableParams.select(m.graph(), null, null));
        Tape tape = new Tape(m.graph(), m.opset(), PAR, 0);
        Tensor z = tape.forward(Map.of("input", x), true).get("logits");
        float[] dz = new float[z.size()];
        Losses.softmaxCrossEntropy(z.floats(), y, 4, 10, 0f, dz);
        Map<String, Tensor> g = new Backprop(tape, params).run(Map.of("logits", Tensor.of(dz, z.shape())));
        Map<String, float[]> grads = new java.util.HashMap<>();
        g.forEach((k, v) -> grads.put(k, v.floats().clone()));
        assertEquals(params.size(), grads.size(), m.graph().name());
        for (String p : params) {
            if (skip != null && p.matches(skip)) continue;
            float[] w = m.graph().initializer(p).floats(), an = grads.get(p);
            for (int t = 0; t < 2; t++) {
                int i = r.nextInt(w.length);
                float orig = w[i];
                w[i] = orig + h;
                double lp = loss(tape, x, y);
                w[i] = orig - h;
                double lm = loss(tape, x, y);
                w[i] = orig;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, an[i], 3e-3 + 5e-2 * Math.abs(num), m.graph().name() + " " + p + "[" + i + "]");
            }
        }
    }

    @Test void resnet8() { check(Models.resnet8(0.25f, 10, 1), 2e-3f, null); }

    /**
     * Shifting a stem parameter moves every activation of a channel, and ReLU6 puts many of them on a kink, so
     * the differences for the stem (conv0, bn1) scatter with the step; they are left to the per-op checks.
     */
    @Test void studentNet() { check(Models.studentNet(1f, 10, 2), 5e-4f, "conv0\\..*|bn1\\..*"); }

    @Test void lenet5() { check(Models.lenet5(0.5f, 10, 3), 2e-3f, null); }
}
