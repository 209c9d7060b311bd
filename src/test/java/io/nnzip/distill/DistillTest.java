package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import java.util.List;
import java.util.Map;
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
        for (boolean matchScale : new boolean[] {false, true}) {
            Model teacher = TestModels.mlp(4, 6, 7, 5);
            String hidden = teacher.graph().nodes().get(1).output(0);  // the Relu after fc1: (N,7)
            Tensor x = TestModels.input(5, 3, 6);
            int n = 3, k = 5, hint = 7;
            DistillConfig cfg = new DistillConfig(2.5f, 0.7f, List.of(new DistillConfig.Hint(hidden, "s")), 0.3f, 1, n, 1e-3f, 1, "constant", matchScale);
            DistillObjective obj = new DistillObjective(new TeacherEnsemble(List.of(teacher), Normalization.NONE, Parallel.common()), null, cfg, "z",
                    List.of("h"));
            assertEquals(List.of("z", "h"), obj.values());
            Batch b = new Batch(x, new int[] {0, 3, 4});
            float[] z = TestModels.gaussian(n * k, 1, 6), h0 = TestModels.gaussian(n * hint, 1, 7);
            float[] gz = new float[z.length], gh = new float[h0.length];
            obj.lossAndGrad(b, Map.of("z", Tensor.of(z.clone(), n, k), "h", Tensor.of(h0.clone(), n, hint)), Map.of("z", gz, "h", gh));
            double step = 1e-2;
            for (int which = 0; which < 2; which++) {
                float[] v = which == 0 ? z : h0, g = which == 0 ? gz : gh;
                for (int i = 0; i < v.length; i++) {
                    double[] l = new double[2];
                    for (int sgn = 0; sgn < 2; sgn++) {
                        float[] zz = z.clone(), hh = h0.clone();
                        (which == 0 ? zz : hh)[i] += (float) (sgn == 0 ? step : -step);
                        l[sgn] = obj.lossAndGrad(b, Map.of("z", Tensor.of(zz, n, k), "h", Tensor.of(hh, n, hint)),
                                Map.of("z", new float[zz.length], "h", new float[hh.length]));
                    }
                    double fd = (l[0] - l[1]) / (2 * step);
                    assertEquals(fd, g[i], 2e-3 + 2e-2 * Math.abs(fd), "matchScale " + matchScale + ": d loss / d " + (which == 0 ? "z" : "h") + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void scaleMatchedStudentIsIndifferentToItsOwnLogitScale() {
        // the soft term compares shapes only: a student whose logits are an affine copy of the teacher's has zero KL
        float[] t = TestModels.gaussian(2 * 6, 3, 11), s = new float[t.length];
        for (int i = 0; i < t.length; i++) s[i] = 0.1f * t[i] - 2f;
        ScaleMatch sm = new ScaleMatch(s, t, 2, 6);
        float[] g = new float[t.length];
        assertEquals(0, io.nnzip.train.Losses.klDivergence(sm.u, t, 2, 6, 4f, g), 1e-4);
        for (float v : sm.backward(g)) assertEquals(0, v, 1e-4);
    }

    @Test
    void cachedSoftTargetsEqualTheTeachersOnShuffledBatches() {
        Model t1 = TestModels.cnn(1, 12, 4, 8, 8), t2 = TestModels.cnn(2, 12, 4, 8, 8);
        Tensor x = TestModels.input(7, 50, 1, 12, 12);
        int[] y = new int[50];
        Dataset d = new Dataset("random", x.floats(), y, 1, 12, 12, 10);
        Normalization norm = new Normalization(new float[] {0.2f}, new float[] {0.5f});
        TeacherEnsemble ens = new TeacherEnsemble(List.of(t1, t2), norm, Parallel.common());
        TeacherCache cache = TeacherCache.build(ens, d, norm, 3f, 16);
        assertEquals(50, cache.size());
        try (BatchLoader loader = new BatchLoader(d, 20, true, norm, Augment.NONE, 5, 1)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                float[] direct = ens.run(b.images(), 3f, List.of()).get(TeacherEnsemble.SOFT_TARGETS).floats();
                assertArrayEquals(direct, cache.lookup(b.images()).floats(), 1e-6f);
            }
        }
        // an image the cache never saw (here: shifted by augmentation) is not guessed
        try (BatchLoader loader = new BatchLoader(d, 50, true, norm, new Augment(2, false), 5, 1)) {
            assertNull(cache.lookup(loader.next().images()));
        }
    }

    static String secondRelu(Model m) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals("Relu")).skip(1).findFirst().orElseThrow().output(0);
    }

    @Test
    void hintGradientReachesTheStudentThroughAnIntermediateValueAndTheRegressorIsDropped() {
        Model teacher = TestModels.cnn(1, 12, 4, 8, 8), student = TestModels.cnn(2, 12, 3, 5, 5);
        Tensor x = TestModels.input(7, 64, 1, 12, 12);
        int[] y = new int[64];
        for (int i = 0; i < y.length; i++) y[i] = i % 10;
        Dataset d = new Dataset("random", x.floats(), y, 1, 12, 12, 10);
        float[][] conv1 = new float[2][];
        for (int run = 0; run < 2; run++) {
            List<DistillConfig.Hint> hints = List.of(new DistillConfig.Hint(secondRelu(teacher), secondRelu(student)));
            DistillConfig cfg = new DistillConfig(3f, 0.5f, hints, run == 0 ? 0f : 5f, 1, 16, 1e-2f, 3, "constant", false);
            Distiller.Result r = Distiller.run(student, List.of(teacher), cfg, d, d, Normalization.NONE, false, new io.nnzip.train.TrainListener() {});
            assertEquals(student.graph().nodes().size(), r.student().graph().nodes().size(), "regressor dropped");
            assertEquals(student.graph().parameterCount(), r.student().graph().parameterCount());
            assertEquals(student.graph().outputNames(), r.student().graph().outputNames());
            conv1[run] = r.student().graph().initializers().get("conv1.weight").floats();
        }
        // same seed, data and steps: only the hint term differs, and it must have moved the first convolution
        assertFalse(java.util.Arrays.equals(conv1[0], conv1[1]));
    }
}
