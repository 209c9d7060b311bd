package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Soft targets of an ensemble against direct softmax averages; the objective's gradient against finite differences. */
class DistillTest {
    static double[] softmax(float[] z, int off, int k, double t) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < k; j++) max = Math.max(max, z[off + j] / t);
        double[] p = new double[k];
        for (int j = 0; j < k; j++) sum += p[j] = Math.exp(z[off + j] / t - max);
        for (int j = 0; j < k; j++) p[j] /= sum;
        return p;
    }

    @Test
    void ensembleSoftTargetsAreTheAverageOfTemperedSoftmaxes() {
        Model t1 = TestModels.mlp(1, 6, 8, 5), t2 = TestModels.mlp(2, 6, 8, 5);
        Tensor x = TestModels.input(3, 4, 6);
        float[] z1 = TestModels.run(t1, x), z2 = TestModels.run(t2, x);
        TeacherEnsemble ens = new TeacherEnsemble(List.of(t1, t2), Normalization.NONE, Parallel.common());
        float[] soft = ens.run(x, 3f, List.of()).get(TeacherEnsemble.SOFT_TARGETS).floats();
        for (int i = 0; i < 4; i++) {
            double[] p1 = softmax(z1, i * 5, 5, 3), p2 = softmax(z2, i * 5, 5, 3), ps = softmax(soft, i * 5, 5, 3);
            for (int j = 0; j < 5; j++) assertEquals((p1[j] + p2[j]) / 2, ps[j], 1e-6);
        }
    }

    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        Model teacher = TestModels.mlp(4, 6, 7, 5);
        String hidden = teacher.graph().nodes().get(1).output(0);  // the Relu after fc1: (N,7)
        Tensor x = TestModels.input(5, 3, 6);
        int n = 3, k = 5, hint = 7, width = k + hint;
        DistillConfig cfg = new DistillConfig(2.5f, 0.7f, List.of(new DistillConfig.Hint(hidden, "s")), 0.3f, 1, n, 1e-3f, 1);
        DistillObjective obj = new DistillObjective(new TeacherEnsemble(List.of(teacher), Normalization.NONE, Parallel.common()), cfg, k, new int[] {hint});
        Batch b = new Batch(x, new int[] {0, 3, 4});
        float[] out = TestModels.gaussian(n * width, 1, 6);
        float[] grad = new float[out.length];
        obj.lossAndGrad(b, Tensor.of(out.clone(), n, width), grad);
        double h = 1e-2;
        for (int i = 0; i < out.length; i++) {
            float[] plus = out.clone(), minus = out.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double fd = (obj.lossAndGrad(b, Tensor.of(plus, n, width), new float[out.length])
                    - obj.lossAndGrad(b, Tensor.of(minus, n, width), new float[out.length])) / (2 * h);
            assertEquals(fd, grad[i], 2e-3 + 2e-2 * Math.abs(fd), "d loss / d output[" + i + "]");
        }
    }
}
