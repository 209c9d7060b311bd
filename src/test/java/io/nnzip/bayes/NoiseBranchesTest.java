package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.data.Batch;
import io.nnzip.engine.Executor;
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
 * The noisy training graph of sparse variational dropout: its conv branch against a hand-written convolution of x²
 * with σ², and the gradient of the whole objective (cross-entropy through the noise plus the KL term) against central
 * finite differences of the loss the Trainer reports.
 */
class NoiseBranchesTest {
    private static float[] random(Random r, int n, double s) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (s * r.nextGaussian());
        return v;
    }

    /** x(N,1,5,5) → Conv 2×1×3×3 + bias → Relu → Flatten → Gemm 3×18 (transB) + bias → y. */
    private static Model model() {
        Random r = new Random(11);
        GraphBuilder g = new GraphBuilder("vd");
        String x = g.input("x", DType.FLOAT, -1, 1, 5, 5);
        String c = g.op("Conv", new String[] {x, g.init("w1", random(r, 18, 0.5), 2, 1, 3, 3), g.init("b1", random(r, 2, 0.1), 2)});
        String f = g.op("Flatten", g.op("Relu", c));
        String y = g.op("Gemm", new String[] {f, g.init("w2", random(r, 54, 0.4), 3, 18), g.init("b2", random(r, 3, 0.1), 3)}, Attribute.of("transB", 1L));
        g.output(g.rename(y, "y"), DType.FLOAT);
        return g.build(17);
    }

    private static void setLogSigma2(Model m, String name, Random r) {
        float[] v = m.graph().initializer(name).floats();
        for (int i = 0; i < v.length; i++) v[i] = (float) (-3 + r.nextGaussian());
    }

    @Test
    void convBranchAddsTheLocalReparameterizationNoise() {
        Model m = model();
        NoiseBranches nb = NoiseBranches.attach(m, List.of("w1", "w2"), -10f);
        assertEquals(2, nb.layers().size());
        Random r = new Random(2);
        NoiseBranches.Layer conv = nb.layers().getFirst();
        setLogSigma2(nb.model(), conv.logSigma2(), r);
        int n = 2;
        float[] x = random(r, n * 25, 1), z = random(r, n * 2 * 9, 1);
        Map<String, Tensor> feeds = new HashMap<>();
        feeds.put("x", Tensor.of(x, n, 1, 5, 5));
        feeds.put(conv.noise(), Tensor.of(z, n, 2, 3, 3));
        NoiseBranches.Layer fc = nb.layers().get(1);
        feeds.put(fc.noise(), Tensor.of(new float[n * 3], n, 3));
        String convOut = nb.model().graph().nodes().stream().filter(q -> q.opType().equals("Relu")).findFirst().orElseThrow().input(0);
        Map<String, Tensor> out = new Executor(nb.model()).run(feeds, List.of(convOut, convOut + "_mean"));
        float[] y = out.get(convOut).floats(), mean = out.get(convOut + "_mean").floats();
        float[] s2 = nb.model().graph().initializer(conv.logSigma2()).floats();
        for (int b = 0; b < n; b++)
            for (int k = 0; k < 2; k++)
                for (int p = 0; p < 3; p++)
                    for (int q = 0; q < 3; q++) {
                        double v = 0;
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                double xv = x[b * 25 + (p + i) * 5 + q + j];
                                v += xv * xv * Math.exp(s2[k * 9 + i * 3 + j]);
                            }
                        int o = ((b * 2 + k) * 3 + p) * 3 + q;
                        assertEquals(Math.sqrt(v + 1e-8) * z[o], y[o] - mean[o], 1e-4 * Math.max(1, Math.abs(y[o] - mean[o])), "output " + o);
                    }
        // noise 0: the original model's output
        feeds.put(conv.noise(), Tensor.of(new float[z.length], n, 2, 3, 3));
        float[] plain = new Executor(m).run(Map.of("x", feeds.get("x"))).get("y").floats();
        float[] noisy = new Executor(nb.model()).run(feeds).get("y").floats();
        for (int i = 0; i < plain.length; i++) assertEquals(plain[i], noisy[i], 1e-5f);
    }

    @Test
    void objectiveGradientMatchesFiniteDifferences() {
        Model m = model();
        NoiseBranches nb = NoiseBranches.attach(m, List.of("w1", "w2"), -10f);
        Random r = new Random(4);
        for (NoiseBranches.Layer l : nb.layers()) setLogSigma2(nb.model(), l.logSigma2(), r);
        int n = 4;
        Batch batch = new Batch(Tensor.of(random(r, n * 25, 1), n, 1, 5, 5), new int[] {0, 2, 1, 2});
        Map<String, Tensor> noise = nb.feeds(9).apply(batch);
        Trainer.Options o = new Trainer.Options().optimizer("sgd").momentum(0f).threads(1).input(nb.input()).feeds(b -> noise)
                .alsoTrain(nb.logSigma2ByWeight().values()).hook(new VariationalDropout(nb.logSigma2ByWeight(), 1f, 20, 0, 1f));
        try (Trainer t = new Trainer(nb.model(), o)) {
            t.step(batch, 0f);
            Map<String, float[]> analytic = new HashMap<>();
            for (Param p : t.params()) analytic.put(p.name(), p.grad().clone());
            int checked = 0;
            for (NoiseBranches.Layer l : nb.layers())
                for (String name : new String[] {l.weight(), l.logSigma2()}) {
                    Param p = t.params().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
                    float[] v = p.value();
                    for (int i = 0; i < v.length; i += 5) {
                        if (name.equals(l.weight()) && Math.abs(v[i]) < 0.05f) continue; // ∂log α/∂θ = −2/θ is steep near 0
                        float keep = v[i], h = name.equals(l.weight()) ? 5e-4f : 1e-2f;
                        v[i] = keep + h;
                        double up = t.step(batch, 0f)[0];
                        v[i] = keep - h;
                        double down = t.step(batch, 0f)[0];
                        v[i] = keep;
                        double fd = (up - down) / (2 * h);
                        assertEquals(fd, analytic.get(name)[i], 2e-3 + 3e-2 * Math.abs(fd), name + "[" + i + "]");
                        checked++;
                    }
                }
            assertEquals(true, checked > 20, "checked " + checked);
        }
    }
}
