package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.data.Batch;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The whole training objective of Bayesian compression — cross-entropy through the weight noise and the group gates
 * plus the group KL over N — written out again in doubles from the parameters and the drawn noise, and the
 * gradients the engine's autodiff and {@link GroupVariational} give checked against its central finite differences.
 */
class GroupObjectiveTest {
    static final int N = 20, B = 3, IN = 5, HID = 4, OUT = 3;

    private static float[] random(Random r, int n, double s, double mean) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + s * r.nextGaussian());
        return v;
    }

    /** x(B,5) → Gemm 4×5 (transB) + b1 → Relu → Gemm 3×4 (transB) + b2 → y. */
    private static Model model() {
        Random r = new Random(21);
        GraphBuilder g = new GraphBuilder("bg");
        String x = g.input("x", DType.FLOAT, -1, IN);
        String h = g.op("Gemm", new String[] {x, g.init("w1", random(r, HID * IN, 0.6, 0), HID, IN), g.init("b1", random(r, HID, 0.2, 0.3), HID)}, Attribute.of("transB", 1L));
        g.rename(h, "h");
        String y = g.op("Gemm", new String[] {g.op("Relu", "h"), g.init("w2", random(r, OUT * HID, 0.6, 0), OUT, HID), g.init("b2", random(r, OUT, 0.1, 0), OUT)}, Attribute.of("transB", 1L));
        g.output(g.rename(y, "y"), DType.FLOAT);
        return g.build(17);
    }

    /** The parameters and the fixed noise of one evaluation, in doubles. */
    record P(double[] w1, double[] b1, double[] ls1, double[] zMu, double[] zLv, double[] w2, double[] b2, double[] ls2,
             double[] x, int[] y, double[] e1, double[] ez, double[] e2) {}

    private static double kl(double mu, double logVar) {
        double la = logVar - Math.log(mu * mu + 1e-8);
        return 0.63576 - 0.63576 / (1 + Math.exp(-(1.87320 + 1.48695 * la))) + 0.5 * Math.log(1 + Math.exp(-la));
    }

    /** Mean cross-entropy of the noisy, gated network plus (1/N)·(Σ group KL + Σ weight KL). */
    static double objective(P p) {
        double ce = 0;
        for (int b = 0; b < B; b++) {
            double[] h = new double[HID];
            for (int j = 0; j < HID; j++) {
                double m = p.b1[j], v = 0;
                for (int i = 0; i < IN; i++) {
                    double xi = p.x[b * IN + i];
                    m += xi * p.w1[j * IN + i];
                    v += xi * xi * Math.exp(p.ls1[j * IN + i]);
                }
                double z = p.zMu[j] + Math.exp(0.5 * p.zLv[j]) * p.ez[b * HID + j];
                h[j] = Math.max(0, (m + Math.sqrt(v + 1e-8) * p.e1[b * HID + j]) * z);
            }
            double[] o = new double[OUT];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < OUT; k++) {
                double m = p.b2[k], v = 0;
                for (int j = 0; j < HID; j++) {
                    m += h[j] * p.w2[k * HID + j];
                    v += h[j] * h[j] * Math.exp(p.ls2[k * HID + j]);
                }
                o[k] = m + Math.sqrt(v + 1e-8) * p.e2[b * OUT + k];
                max = Math.max(max, o[k]);
            }
            double se = 0;
            for (double v : o) se += Math.exp(v - max);
            ce += max + Math.log(se) - o[p.y[b]];
        }
        double klSum = 0;
        for (int j = 0; j < HID; j++) klSum += kl(p.zMu[j], p.zLv[j]);
        for (int i = 0; i < p.w1.length; i++) klSum += GroupKl.weightKl(p.w1[i], p.ls1[i]);
        for (int i = 0; i < p.w2.length; i++) klSum += GroupKl.weightKl(p.w2[i], p.ls2[i]);
        return ce / B + klSum / N;
    }

    private static double[] d(float[] f) {
        double[] r = new double[f.length];
        for (int i = 0; i < f.length; i++) r[i] = f[i];
        return r;
    }

    @Test
    void gradientMatchesDoublePrecisionFiniteDifferences() {
        Model m = model();
        NoiseBranches nb = NoiseBranches.attach(m, List.of("w1", "w2"), -10f);
        GroupGates gates = GroupGates.attach(nb, Map.of("w1", 0), Map.of("w1", "h"), -2f);
        Model t0 = nb.model();
        Random r = new Random(8);
        Map<String, String> logS = nb.logSigma2ByWeight();
        GroupGates.Gate gate = gates.gates().getFirst();
        t0.graph().initializers().put(logS.get("w1"), Tensor.of(random(r, HID * IN, 0.7, -3), HID, IN));
        t0.graph().initializers().put(logS.get("w2"), Tensor.of(random(r, OUT * HID, 0.7, -3), OUT, HID));
        t0.graph().initializers().put(gate.zMu(), Tensor.of(new float[] {1.2f, 0.7f, -0.5f, 0.9f}, HID));
        t0.graph().initializers().put(gate.zLogVar(), Tensor.of(new float[] {-2f, -0.5f, -3f, -1.2f}, HID));
        float[] x = random(r, B * IN, 1, 0.5);
        int[] labels = {0, 2, 1};
        Batch batch = new Batch(Tensor.of(x, B, IN), labels);
        Map<String, Tensor> noise = new HashMap<>(nb.feeds(9).apply(batch));
        noise.putAll(gates.feeds(5).apply(batch));
        List<String> extra = new java.util.ArrayList<>(logS.values());
        extra.add(gate.zMu());
        extra.add(gate.zLogVar());
        Trainer.Options o = new Trainer.Options().optimizer("sgd").momentum(0f).threads(1).input(nb.input()).feeds(b -> noise)
                .alsoTrain(extra).hook(new GroupVariational(logS, gates.logVarByMu(), 1f, N, 0, 1f));
        String n1 = nb.layers().get(0).noise(), n2 = nb.layers().get(1).noise();
        try (Trainer t = new Trainer(t0, o)) {
            float loss = t.step(batch, 0f)[0];
            Map<String, Param> byName = new HashMap<>();
            for (Param q : t.params()) byName.put(q.name(), q);
            java.util.function.Function<String, double[]> v = s -> d(byName.get(s).value());
            P p = new P(v.apply("w1"), v.apply("b1"), v.apply(logS.get("w1")), v.apply(gate.zMu()), v.apply(gate.zLogVar()),
                    v.apply("w2"), v.apply("b2"), v.apply(logS.get("w2")), d(x), labels,
                    d(noise.get(n1).floats()), d(noise.get(gate.noise()).floats()), d(noise.get(n2).floats()));
            double ref = objective(p);
            assertEquals(ref, loss, 1e-5 * Math.max(1, Math.abs(ref)), "the Trainer's loss is the objective");
            Map<String, double[]> arrays = Map.of("w1", p.w1(), logS.get("w1"), p.ls1(), gate.zMu(), p.zMu(), gate.zLogVar(), p.zLv(),
                    "w2", p.w2(), logS.get("w2"), p.ls2(), "b1", p.b1(), "b2", p.b2());
            int checked = 0;
            for (Map.Entry<String, double[]> e : arrays.entrySet()) {
                double[] a = e.getValue();
                float[] analytic = byName.get(e.getKey()).grad();
                for (int i = 0; i < a.length; i++) {
                    double keep = a[i], h = 1e-6;
                    a[i] = keep + h;
                    double up = objective(p);
                    a[i] = keep - h;
                    double down = objective(p);
                    a[i] = keep;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, analytic[i], 1e-4 + 1e-3 * Math.abs(fd), e.getKey() + "[" + i + "]");
                    checked++;
                }
            }
            assertEquals(2 * (HID * IN + OUT * HID) + 2 * HID + HID + OUT, checked);
        }
    }
}
