package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.Trainer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Joint exit training: the weighted exit loss against finite differences; training lowers it and moves the backbone. */
class JointExitTrainingTest {
    @Test
    void weightedExitLossGradientMatchesFiniteDifferences() {
        int n = 3, k = 4, e = 3;
        double[] w = {0.5, 0.3, 1.0};
        List<String> names = List.of("exit_0", "exit_1", "output");
        MultiObjective obj = JointExitTraining.objective(names, w);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), new int[] {0, 3, 2});
        float[] out = TestModels.gaussian(n * e * k, 2, 9);
        Map<String, float[]> grads = zeros(names, n * k);
        float loss = obj.lossAndGrad(b, split(names, out, n, k), grads);
        // the loss is the weighted sum of each exit's mean cross-entropy, computed here directly
        double direct = 0;
        for (int x = 0; x < e; x++)
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < k; j++) max = Math.max(max, out[x * n * k + i * k + j]);
                for (int j = 0; j < k; j++) sum += Math.exp(out[x * n * k + i * k + j] - max);
                direct += w[x] * -(out[x * n * k + i * k + b.labels()[i]] - max - Math.log(sum)) / n;
            }
        assertEquals(direct, loss, 1e-5);
        double h = 1e-2;
        for (int i = 0; i < out.length; i++) {
            float[] plus = out.clone(), minus = out.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double fd = (obj.lossAndGrad(b, split(names, plus, n, k), zeros(names, n * k))
                    - obj.lossAndGrad(b, split(names, minus, n, k), zeros(names, n * k))) / (2 * h);
            float g = grads.get(names.get(i / (n * k)))[i % (n * k)];
            assertEquals(fd, g, 1e-3 + 1e-2 * Math.abs(fd), "d loss / d output[" + i + "]");
        }
    }

    /** Exit x's logits are {@code all[x·n·k .. (x+1)·n·k)}. */
    static Map<String, Tensor> split(List<String> names, float[] all, int n, int k) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int x = 0; x < names.size(); x++) m.put(names.get(x), Tensor.of(Arrays.copyOfRange(all, x * n * k, (x + 1) * n * k), n, k));
        return m;
    }

    static Map<String, float[]> zeros(List<String> names, int size) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (String s : names) m.put(s, new float[size]);
        return m;
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
        List<String> names = any.graph().outputNames();
        Map<String, Tensor> outs = Calibration.capture(any, "input", x, names, 64);
        return JointExitTraining.objective(names, w).lossAndGrad(new Batch(x, y), outs, zeros(names, y.length * 10));
    }
}
