package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.train.Objective;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Joint exit training: the weighted exit loss against finite differences; training lowers it and moves the backbone. */
class JointExitTrainingTest {
    @Test
    void weightedExitLossGradientMatchesFiniteDifferences() {
        int n = 3, k = 4, e = 3;
        double[] w = {0.5, 0.3, 1.0};
        Objective obj = JointExitTraining.objective(w);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), new int[] {0, 3, 2});
        float[] out = TestModels.gaussian(n * e * k, 2, 9), grad = new float[out.length];
        float loss = obj.lossAndGrad(b, Tensor.of(out.clone(), n, e * k), grad);
        // the loss is the weighted sum of each exit's mean cross-entropy, computed here directly
        double direct = 0;
        for (int x = 0; x < e; x++)
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < k; j++) max = Math.max(max, out[i * e * k + x * k + j]);
                for (int j = 0; j < k; j++) sum += Math.exp(out[i * e * k + x * k + j] - max);
                direct += w[x] * -(out[i * e * k + x * k + b.labels()[i]] - max - Math.log(sum)) / n;
            }
        assertEquals(direct, loss, 1e-5);
        double h = 1e-2;
        for (int i = 0; i < out.length; i++) {
            float[] plus = out.clone(), minus = out.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double fd = (obj.lossAndGrad(b, Tensor.of(plus, n, e * k), new float[out.length])
                    - obj.lossAndGrad(b, Tensor.of(minus, n, e * k), new float[out.length])) / (2 * h);
            assertEquals(fd, grad[i], 1e-3 + 1e-2 * Math.abs(fd), "d loss / d output[" + i + "]");
        }
    }

    @Test
    void jointTrainingLowersTheExitLossAndTrainsTheBackbone() {
        Model cnn = TestModels.cnn(5, 12, 8, 16, 16);
        Tensor x = TestModels.input(1, 256, 1, 12, 12);
        int[] y = DynamicTest.selfLabels(cnn, x);
        DynamicConfig cfg = new DynamicConfig(List.of("conv1", "conv2"), 0.8, 1, 3, 0.01f, 1e-4f, "frozen", 0, 3);
        Model any = DynamicPass.run(cnn, cfg, x, y, null, null).model();
        double[] w = {1, 1, 1};
        float before = exitLoss(any, x, y, w);
        float[] conv2Before = any.graph().initializer("conv2.weight").floats().clone();
        Dataset d = new Dataset("self-labelled", x.floats(), y, 1, 12, 12, 10);
        JointExitTraining.train(any, w, d, Normalization.NONE, new Trainer.Options().epochs(4).lr(3e-3f).batchSize(32).seed(2),
                new io.nnzip.train.Progress(System.err, false));
        float after = exitLoss(any, x, y, w);
        assertTrue(after < 0.9 * before, "joint loss " + before + " -> " + after);
        assertTrue(TestModels.relDiff(conv2Before, any.graph().initializer("conv2.weight").floats()) > 1e-3, "the backbone must train too");
        assertEquals(List.of("exit_0", "exit_1", "output"), any.graph().outputNames());
    }

    static float exitLoss(Model any, Tensor x, int[] y, double[] w) {
        Map<String, Tensor> outs = Calibration.capture(any, "input", x, any.graph().outputNames(), 64);
        int n = y.length, k = 10, e = w.length;
        float[] joined = new float[n * e * k];
        for (int o = 0; o < e; o++) {
            float[] z = outs.get(any.graph().outputNames().get(o)).floats();
            for (int i = 0; i < n; i++) System.arraycopy(z, i * k, joined, i * e * k + o * k, k);
        }
        return JointExitTraining.objective(w).lossAndGrad(new Batch(x, y), Tensor.of(joined, n, e * k), new float[joined.length]);
    }
}
