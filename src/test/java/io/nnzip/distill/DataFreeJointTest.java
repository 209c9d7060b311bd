package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The joint data-free loop: the student inside the generator's graph computes what the student alone computes on the
 * generated image (re-normalized for it); the two objectives' gradients against finite differences; a short run moves
 * the student and leaves the teacher alone.
 */
class DataFreeJointTest {
    @Test
    void studentInsideTheJointGraphSeesTheGeneratedImageInItsOwnNormalization() {
        Model teacher = io.nnzip.models.Models.cnn(0.25f, 10, 4);
        Model student = io.nnzip.models.Models.cnn(0.125f, 10, 9);
        Normalization tn = Normalization.parse("0.2860,0.3530"), sn = Normalization.parse("0.5,0.25");
        DataFree.Chain chain = DataFree.chain(teacher, 5);
        Model joint = DataFreeJoint.joint(chain, chain.model(), student, tn, sn);
        String sLogits = DataFreeJoint.S + student.graph().outputNames().getFirst();
        try (io.nnzip.engine.Parallel par = new io.nnzip.engine.Parallel(1)) {
            io.nnzip.engine.autodiff.Tape tape = new io.nnzip.engine.autodiff.Tape(joint.graph(), joint.opset(), par, 1);
            tape.forward(Map.of(DataFree.NOISE, Tensor.of(DataFree.noise(5, 2).pixels(), 5, DataFree.NZ, 1, 1)), false);
            float[] img = tape.value(chain.image()).floats().clone();
            // by hand: raw pixel = x·0.353 + 0.286, the student's input = (raw − 0.5)/0.25
            for (int i = 0; i < img.length; i++) img[i] = (float) ((img[i] * 0.3530 + 0.2860 - 0.5) / 0.25);
            String in = student.graph().runtimeInputs().getFirst().name();
            float[] alone = new io.nnzip.engine.Executor(student, par).run(Map.of(in, Tensor.of(img, 5, 1, 28, 28)))
                    .get(student.graph().outputNames().getFirst()).floats();
            assertArrayEquals(alone, tape.value(sLogits).floats(), 1e-3f, "student logits in the joint graph = the student's inference");
        }
    }

    @Test
    void generatorDisagreementGradientMatchesFiniteDifferences() {
        DataFree.Chain c = new DataFree.Chain(null, "x", "zt", "f");
        var obj = DataFreeJoint.generatorObjective(c, new DataFree.Weights(1f, 0.2f, 3f), "zs", 0.7f);
        int n = 3, k = 4, f = 5;
        float[] zt = TestModels.gaussian(n * k, 2, 1), zs = TestModels.gaussian(n * k, 2, 2), fe = TestModels.gaussian(n * f, 1, 3);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), new int[n]);
        float[] gt = new float[zt.length], gs = new float[zs.length];
        obj.lossAndGrad(b, Map.of("zt", Tensor.of(zt.clone(), n, k), "zs", Tensor.of(zs.clone(), n, k), "f", Tensor.of(fe.clone(), n, f)),
                Map.of("zt", gt, "zs", gs, "f", new float[fe.length]));
        double h = 1e-3;
        for (int which = 0; which < 2; which++) {
            float[] base = which == 0 ? zt : zs, g = which == 0 ? gt : gs;
            for (int i = 0; i < base.length; i++) {
                float[] p = base.clone(), m = base.clone();
                p[i] += (float) h;
                m[i] -= (float) h;
                double fd = (loss(obj, b, which == 0 ? p : zt, which == 0 ? zs : p, fe, n, k, f) - loss(obj, b, which == 0 ? m : zt, which == 0 ? zs : m, fe, n, k, f)) / (2 * h);
                assertEquals(fd, g[i], 2e-3 + 1e-2 * Math.abs(fd), (which == 0 ? "teacher" : "student") + " logit " + i);
            }
        }
        // the disagreement term alone: −0.7·mean|zt − zs|, so the student's gradient is +0.7·sign(zt − zs)/size
        float[] g0 = new float[zs.length];
        DataFreeJoint.generatorObjective(c, new DataFree.Weights(0f, 0f, 0f), "zs", 0.7f).lossAndGrad(b,
                Map.of("zt", Tensor.of(zt.clone(), n, k), "zs", Tensor.of(zs.clone(), n, k), "f", Tensor.of(fe.clone(), n, f)),
                Map.of("zt", new float[zt.length], "zs", g0, "f", new float[fe.length]));
        for (int i = 0; i < zs.length; i++) assertEquals(0.7 * Math.signum(zt[i] - zs[i]) / zs.length, g0[i], 1e-7);
    }

    private static double loss(io.nnzip.train.MultiObjective o, Batch b, float[] zt, float[] zs, float[] fe, int n, int k, int f) {
        return o.lossAndGrad(b, Map.of("zt", Tensor.of(zt.clone(), n, k), "zs", Tensor.of(zs.clone(), n, k), "f", Tensor.of(fe.clone(), n, f)),
                Map.of("zt", new float[zt.length], "zs", new float[zs.length], "f", new float[fe.length]));
    }

    @Test
    void studentObjectiveIsTemperedKlPlusCrossEntropy() {
        int n = 3, k = 5;
        float[] zt = TestModels.gaussian(n * k, 2, 4), zs = TestModels.gaussian(n * k, 2, 5);
        int[] y = {1, 4, 0};
        float[][] soft = {zt};
        float t = 3f, a = 0.8f;
        var obj = DataFreeJoint.studentObjective(soft, t, a);
        Batch b = new Batch(Tensor.of(new float[n], n, 1), y);
        float[] g = new float[zs.length];
        double l = obj.lossAndGrad(b, Tensor.of(zs.clone(), n, k), g);
        assertEquals(byHand(zt, zs, y, n, k, t, a), l, 1e-5);
        double h = 1e-3;
        for (int i = 0; i < zs.length; i++) {
            float[] p = zs.clone(), m = zs.clone();
            p[i] += (float) h;
            m[i] -= (float) h;
            double fd = (byHand(zt, p, y, n, k, t, a) - byHand(zt, m, y, n, k, t, a)) / (2 * h);
            assertEquals(fd, g[i], 1e-3 + 1e-2 * Math.abs(fd), "d loss / d z_s[" + i + "]");
        }
    }

    /** α·T²·KL(p_T ‖ p_S) + (1 − α)·CE, batch mean, written out with log-sum-exp. */
    private static double byHand(float[] zt, float[] zs, int[] y, int n, int k, double t, double a) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            double lt = 0, ls = 0, l1 = 0;
            for (int j = 0; j < k; j++) {
                lt += Math.exp(zt[i * k + j] / t);
                ls += Math.exp(zs[i * k + j] / t);
                l1 += Math.exp(zs[i * k + j]);
            }
            double kl = 0;
            for (int j = 0; j < k; j++) {
                double lpt = zt[i * k + j] / t - Math.log(lt), lps = zs[i * k + j] / t - Math.log(ls);
                kl += Math.exp(lpt) * (lpt - lps);
            }
            total += a * t * t * kl - (1 - a) * (zs[i * k + y[i]] - Math.log(l1));
        }
        return total / n;
    }

    @Test
    void aShortRunTrainsTheStudentAndLeavesTheTeacherAlone() {
        Model teacher = io.nnzip.models.Models.cnn(0.25f, 10, 4);
        Model student = io.nnzip.models.Models.cnn(0.125f, 10, 9);
        Normalization tn = Normalization.parse("0.2860,0.3530");
        DataFree.Chain chain = DataFree.chain(teacher, 5);
        DistillConfig cfg = new DistillConfig(4f, 0.9f, java.util.List.of(), 0f, 1, 8, 1e-2f, 3);
        DataFreeJoint.Result r = DataFreeJoint.run(chain, chain.model(), student, tn, tn, DataFree.Weights.PAPER, 1f, cfg, 2, 2, 1e-2f, 1,
                new io.nnzip.train.TrainListener() {});
        assertEquals(4, ((Number) r.report().get("student_steps")).intValue());
        assertEquals(32L, ((Number) r.report().get("synthetic_images")).longValue());
        assertEquals(32, java.util.Arrays.stream((int[]) r.report().get("synthetic_class_counts")).sum());
        boolean moved = false;
        for (var e : student.graph().initializers().entrySet())
            moved |= !java.util.Arrays.equals(e.getValue().floats(), r.student().graph().initializer(e.getKey()).floats());
        assertTrue(moved, "the student's weights changed");
        assertEquals(student.graph().initializers().keySet(), r.student().graph().initializers().keySet(), "the student comes back without generator or teacher");
    }
}
