package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * DAFL: the generator losses (and the BatchNormalization-statistics loss) against finite differences; the chained graph
 * trains only the generator and runs the teacher as at inference.
 */
class DataFreeTest {
    @Test
    void bnStatsLossGradientMatchesFiniteDifferences() {
        int n = 3, c = 4, hw = 5;
        float[] x = TestModels.gaussian(n * c * hw, 1.5, 11), y = TestModels.gaussian(n * 2, 1, 12);
        for (int i = 0; i < y.length; i++) y[i] += 0.7f;
        float[] mean = {0.2f, -0.4f, 1f, 0f}, var = {1f, 2.5f, 0.5f, 1.2f};
        // a 4-D (N,C,H·W) layer and a 2-D (N,C) one, as after a convolution and after a linear layer
        List<DataFree.BnStat> st = List.of(new DataFree.BnStat("a", mean, var), new DataFree.BnStat("b", new float[] {0.5f, -1f}, new float[] {0.3f, 2f}));
        float[] ga = new float[x.length], gb = new float[y.length];
        double w = 0.7;
        double loss = DataFree.bnStatsLoss(st, Map.of("a", Tensor.of(x.clone(), n, c, 1, hw), "b", Tensor.of(y.clone(), n, 2)), Map.of("a", ga, "b", gb), 0.7f);
        // the loss by hand (double precision, independent of the implementation's loops)
        assertEquals(w * (statsDistance(x, n, c, hw, mean, var) + statsDistance(y, n, 2, 1, new float[] {0.5f, -1f}, new float[] {0.3f, 2f})), loss, 1e-4);
        double h = 1e-2;
        for (int i = 0; i < x.length; i++) {
            float[] p = x.clone(), m = x.clone();
            p[i] += (float) h;
            m[i] -= (float) h;
            double fd = w * (statsDistance(p, n, c, hw, mean, var) - statsDistance(m, n, c, hw, mean, var)) / (2 * h);
            assertEquals(fd, ga[i], 2e-4 + 1e-2 * Math.abs(fd), "d loss / d a[" + i + "]");
        }
        for (int i = 0; i < y.length; i++) {
            float[] p = y.clone(), m = y.clone();
            p[i] += (float) h;
            m[i] -= (float) h;
            double fd = w * (statsDistance(p, n, 2, 1, new float[] {0.5f, -1f}, new float[] {0.3f, 2f}) - statsDistance(m, n, 2, 1, new float[] {0.5f, -1f}, new float[] {0.3f, 2f})) / (2 * h);
            assertEquals(fd, gb[i], 2e-4 + 1e-2 * Math.abs(fd), "d loss / d b[" + i + "]");
        }
    }

    /** ‖batch mean − μ‖₂ + ‖batch variance − σ²‖₂ over channels, by the two-pass textbook formulas. */
    static double statsDistance(float[] x, int n, int c, int l, float[] mu, float[] var) {
        double dm = 0, dv = 0;
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int q = 0; q < l; q++) s += x[(i * c + j) * l + q];
            double m = s / (n * l), ss = 0;
            for (int i = 0; i < n; i++) for (int q = 0; q < l; q++) ss += Math.pow(x[(i * c + j) * l + q] - m, 2);
            double v = ss / (n * l);
            dm += (m - mu[j]) * (m - mu[j]);
            dv += (v - var[j]) * (v - var[j]);
        }
        return Math.sqrt(dm) + Math.sqrt(dv);
    }

    @Test
    void teacherRunsAsAtInferenceInsideTheChain() {
        Model teacher = io.nnzip.models.Models.cnn(0.25f, 10, 4);
        // running statistics far from the initial 0/1, so that batch statistics would give other logits
        java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        for (var e : teacher.graph().initializers().entrySet()) {
            float[] v = e.getValue().floats();
            if (e.getKey().endsWith("running_mean") || e.getKey().endsWith("mean")) for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() - 0.5);
            if (e.getKey().endsWith("running_var") || e.getKey().endsWith("var")) for (int i = 0; i < v.length; i++) v[i] = (float) (0.2 + r.nextDouble());
        }
        DataFree.Chain chain = DataFree.chain(teacher, 5);
        assertEquals(3, chain.bnStats().size(), "the cnn's three BatchNormalizations");
        try (io.nnzip.engine.Parallel par = new io.nnzip.engine.Parallel(1)) {
            io.nnzip.engine.autodiff.Tape tape = new io.nnzip.engine.autodiff.Tape(chain.model().graph(), chain.model().opset(), par, 1);
            tape.forward(Map.of(DataFree.NOISE, Tensor.of(DataFree.noise(6, 2).pixels(), 6, DataFree.NZ, 1, 1)), true);
            Tensor img = tape.value(chain.image());
            float[] inChain = tape.value(chain.logits()).floats();
            float[] alone = new io.nnzip.engine.Executor(teacher, par).run(Map.of(chain.image(), img)).get(chain.logits()).floats();
            assertArrayEquals(alone, inChain, 1e-3f, "teacher logits inside the training chain = the teacher's inference");
        }
        Model trained = DataFree.trainGenerator(chain, DataFree.Weights.PAPER.withBnStats(1f), 1, 3, 16, 1e-2f, 3, new io.nnzip.train.TrainListener() {});
        for (String name : teacher.graph().initializers().keySet())
            if (trained.graph().initializers().containsKey(name))
                assertArrayEquals(teacher.graph().initializer(name).floats(), trained.graph().initializer(name).floats(), "teacher " + name + " unchanged");
    }

    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        DataFree.Chain c = new DataFree.Chain(null, "x", "z", "f");
        DataFree.Weights w = new DataFree.Weights(1f, 0.3f, 5f);
        var obj = DataFree.objective(c, w);
        int n = 4, k = 5, f = 6;
        float[] z = TestModels.gaussian(n * k, 2, 3), fe = TestModels.gaussian(n * f, 1, 4);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), new int[n]);
        float[] gz = new float[z.length], gf = new float[fe.length];
        obj.lossAndGrad(b, Map.of("z", Tensor.of(z.clone(), n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", gz, "f", gf));
        double h = 1e-3;
        for (int i = 0; i < z.length; i++) {
            float[] p = z.clone(), m = z.clone();
            p[i] += (float) h;
            m[i] -= (float) h;
            double fd = (obj.lossAndGrad(b, Map.of("z", Tensor.of(p, n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", new float[z.length], "f", new float[fe.length]))
                    - obj.lossAndGrad(b, Map.of("z", Tensor.of(m, n, k), "f", Tensor.of(fe.clone(), n, f)), Map.of("z", new float[z.length], "f", new float[fe.length])))
                    / (2 * h);
            assertEquals(fd, gz[i], 2e-3 + 1e-2 * Math.abs(fd), "d loss / d z[" + i + "]");
        }
        // −w_a·mean|f|: each feature's gradient is −w_a·sign(f)/size, away from zero
        for (int i = 0; i < fe.length; i++) assertEquals(-0.3 * Math.signum(fe[i]) / fe.length, gf[i], 1e-7);
    }

    @Test
    void classBalancedOneHotTargetsTheAssignedClassAndNoiseCarriesItsCode() {
        DataFree.Chain c = new DataFree.Chain(null, "x", "z", "f");
        int n = 4, k = 3;
        float[] z = {5f, 0f, 0f, 0f, 5f, 0f, 0f, 0f, 5f, 5f, 0f, 0f};
        int[] y = {2, 0, 1, 0};
        Batch b = new Batch(Tensor.of(new float[n], n, 1), y);
        float[] gz = new float[z.length];
        float loss = DataFree.objective(c, new DataFree.Weights(1f, 0f, 0f, 0f, k)).lossAndGrad(b,
                Map.of("z", Tensor.of(z.clone(), n, k), "f", Tensor.of(new float[n], n, 1)), Map.of("z", gz, "f", new float[n]));
        // by hand: softmax of (5,0,0) is (e⁵, 1, 1)/(e⁵ + 2); CE against the assigned class, not the arg-max
        double big = Math.exp(5) / (Math.exp(5) + 2), small = 1 / (Math.exp(5) + 2);
        double[] pTarget = {small, small, small, big};
        double ce = 0;
        for (double p : pTarget) ce -= Math.log(p) / n;
        assertEquals(ce, loss, 1e-4);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) {
                int argmax = i == 3 ? 0 : i;
                double p = j == argmax ? big : small;
                assertEquals((p - (j == y[i] ? 1 : 0)) / n, gz[i * k + j], 1e-6, "d loss / d z[" + i + "," + j + "]");
            }
        // the noise: labels i mod k, each vector's first k entries the class code, the rest untouched Gaussian noise
        Dataset d = DataFree.noise(7, 9, k), plain = DataFree.noise(7, 9);
        for (int i = 0; i < 7; i++) {
            assertEquals(i % k, d.labels()[i]);
            for (int j = 0; j < DataFree.NZ; j++) {
                float v = d.pixels()[i * DataFree.NZ + j];
                if (j < k) assertEquals(j == i % k ? DataFree.CODE : 0f, v);
                else assertEquals(plain.pixels()[i * DataFree.NZ + j], v);
            }
        }
    }

    @Test
    void generatorLearnsAgainstAFrozenForeignTeacher() {
        Model teacher = OnnxReader.read(Path.of("src/test/resources/pytorch-normalized/cnn.onnx"));
        DataFree.Chain chain = DataFree.chain(teacher, 3);
        Model trained = DataFree.trainGenerator(chain, DataFree.Weights.PAPER, 1, 6, 32, 1e-2f, 3, new io.nnzip.train.TrainListener() {});
        var before = teacher.graph().initializers();
        var after = trained.graph().initializers();
        for (String name : before.keySet()) assertArrayEquals(before.get(name).floats(), after.get(name).floats(), "teacher weight " + name + " frozen");
        assertFalse(java.util.Arrays.equals(chain.model().graph().initializer("gen.fc.weight").floats(), after.get("gen.fc.weight").floats()));
        Normalization norm = Normalization.parse("0.2860,0.3530");
        Dataset d = DataFree.synthesize(new DataFree.Chain(trained, chain.image(), chain.logits(), chain.features()), 40, 20, norm, 5, 1);
        assertEquals(40, d.size());
        assertEquals(28, d.height());
        // the generator's last BatchNorm standardizes: the normalized images have mean ≈ 0 and std ≈ 1
        double s = 0, ss = 0;
        for (float v : d.pixels()) {
            double x = (v - 0.2860) / 0.3530;
            s += x;
            ss += x * x;
        }
        int m = d.pixels().length;
        assertEquals(0, s / m, 1e-2);
        assertEquals(1, Math.sqrt(ss / m - (s / m) * (s / m)), 2e-2);
    }
}
