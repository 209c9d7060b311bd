package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.train.Param;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The soft weight-sharing prior's gradients against central finite differences of its own value. */
class MixturePriorTest {
    private static MixturePrior prior() {
        MixturePrior p = MixturePrior.spread("t", 5, 0.5f, 0.9f);
        Random r = new Random(3);
        float[] lv = p.logVariances().value(), lg = p.logits().value(), mu = p.means().value();
        for (int j = 0; j < 5; j++) {
            lv[j] += 0.3f * (float) r.nextGaussian();
            if (j > 0) {
                lg[j] = 0.5f * (float) r.nextGaussian();
                mu[j] += 0.05f * (float) r.nextGaussian();
            }
        }
        return p;
    }

    private static float[] weights() {
        Random r = new Random(7);
        float[] w = new float[200];
        for (int i = 0; i < w.length; i++) w[i] = 0.3f * (float) r.nextGaussian();
        return w;
    }

    private static double loss(MixturePrior p, float[] w) {
        for (Param q : new Param[] {p.means(), p.logVariances(), p.logits()}) java.util.Arrays.fill(q.grad(), 0f);
        return p.lossAndGrad(w, null, 1f, null);
    }

    @Test
    void weightGradientMatchesFiniteDifferences() {
        MixturePrior p = prior();
        float[] w = weights(), g = new float[w.length];
        p.lossAndGrad(w, g, 1f, null);
        for (int i = 0; i < w.length; i += 17) {
            float keep = w[i], h = 1e-3f;
            w[i] = keep + h;
            double up = loss(p, w);
            w[i] = keep - h;
            double down = loss(p, w);
            w[i] = keep;
            double fd = (up - down) / (2 * h);
            assertEquals(fd, g[i], 2e-2 * Math.max(1, Math.abs(fd)), "weight " + i);
        }
    }

    @Test
    void mixtureGradientsMatchFiniteDifferences() {
        MixturePrior p = prior();
        float[] w = weights();
        for (Param q : new Param[] {p.means(), p.logVariances(), p.logits()}) {
            loss(p, w);
            float[] analytic = q.grad().clone();
            for (int j = 1; j < q.size(); j++) {
                float keep = q.value()[j], h = 1e-3f;
                q.value()[j] = keep + h;
                double up = loss(p, w);
                q.value()[j] = keep - h;
                double down = loss(p, w);
                q.value()[j] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, analytic[j], 2e-2 * Math.max(1, Math.abs(fd)), q.name() + "[" + j + "]");
            }
        }
        loss(p, w);
        // the zero component's variance is learned too
        float keep = p.logVariances().value()[0];
        float g0 = p.logVariances().grad()[0];
        p.logVariances().value()[0] = keep + 1e-3f;
        double up = loss(p, w);
        p.logVariances().value()[0] = keep - 1e-3f;
        double down = loss(p, w);
        assertEquals((up - down) / 2e-3, g0, 2e-2 * Math.max(1, Math.abs(g0)));
    }

    @Test
    void parallelSumEqualsSerial() {
        MixturePrior p = prior();
        float[] w = new float[20000];
        Random r = new Random(1);
        for (int i = 0; i < w.length; i++) w[i] = 0.3f * (float) r.nextGaussian();
        float[] g1 = new float[w.length], g2 = new float[w.length];
        double a = p.lossAndGrad(w, g1, 1f, null);
        try (io.nnzip.engine.Parallel par = new io.nnzip.engine.Parallel(3)) {
            double b = p.lossAndGrad(w, g2, 1f, par);
            assertEquals(a, b, 1e-6 * Math.abs(a));
        }
        for (int i = 0; i < w.length; i++) assertEquals(g1[i], g2[i], 0f);
    }

    @Test
    void snapPutsEachWeightOnItsNearestComponentWhenVariancesAreEqual() {
        MixturePrior p = MixturePrior.spread("t", 3, 1f, 0.5f);
        java.util.Arrays.fill(p.logVariances().value(), (float) Math.log(0.01));
        // means 0, -1, 1, σ = 0.1, mixing weights 0.5 / 0.25 / 0.25: by hand the 0|1 boundary is at 0.5 + σ²·ln 2 = 0.507
        float[] w = {0.1f, -0.9f, 0.95f, 0.4f, 0.5f, 0.52f};
        p.snap(w);
        assertEquals(0f, w[0]);
        assertEquals(-1f, w[1]);
        assertEquals(1f, w[2]);
        assertEquals(0f, w[3]);
        assertEquals(0f, w[4]);
        assertEquals(1f, w[5]);
    }
}
