package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The weight part of the group KL, the posterior variance of w = z·w̃ and the bit rule: by hand and by finite differences. */
class GroupKlTest {
    @Test
    void weightKlByHand() {
        // N(0, 1) against N(0, 1): nothing to pay
        assertEquals(0, GroupKl.weightKl(0, 0), 1e-15);
        // μ = 2, σ² = e: ½·(e + 4 − 1 − 1)
        assertEquals(0.5 * (Math.E + 2), GroupKl.weightKl(2, 1), 1e-12);
    }

    @Test
    void weightGradientsMatchFiniteDifferences() {
        Random r = new Random(3);
        int n = 40;
        float[] mu = new float[n], ls = new float[n], gm = new float[n], gl = new float[n];
        for (int i = 0; i < n; i++) {
            mu[i] = (float) r.nextGaussian();
            ls[i] = (float) (-8 + 9 * r.nextDouble());
        }
        double scale = 0.3, sum = GroupKl.weightsSumAndGrad(mu, ls, gm, gl, scale), ref = 0;
        for (int i = 0; i < n; i++) ref += 0.5 * (Math.exp(ls[i]) + (double) mu[i] * mu[i] - 1 - ls[i]);
        assertEquals(ref, sum, 1e-9 * Math.abs(ref));
        double h = 1e-6;
        for (int i = 0; i < n; i++) {
            double dm = scale * (GroupKl.weightKl(mu[i] + h, ls[i]) - GroupKl.weightKl(mu[i] - h, ls[i])) / (2 * h);
            double dl = scale * (GroupKl.weightKl(mu[i], ls[i] + h) - GroupKl.weightKl(mu[i], ls[i] - h)) / (2 * h);
            assertEquals(dm, gm[i], 1e-6 * Math.max(1, Math.abs(dm)));
            assertEquals(dl, gl[i], 1e-6 * Math.max(1, Math.abs(dl)));
        }
    }

    @Test
    void posteriorVarianceOfTheProductMatchesSampling() {
        double zMu = 0.8, zLv = Math.log(0.04), mu = -0.3, ls = Math.log(0.01);
        Random r = new Random(1);
        int n = 2_000_000;
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            double w = (zMu + 0.2 * r.nextGaussian()) * (mu + 0.1 * r.nextGaussian());
            s += w;
            ss += w * w;
        }
        double var = ss / n - (s / n) * (s / n);
        // 0.64·0.01 + 0.04·0.09 + 0.04·0.01 = 0.0104
        assertEquals(0.0104, GroupKl.weightVariance(zMu, zLv, mu, ls), 1e-12);
        assertEquals(var, GroupKl.weightVariance(zMu, zLv, mu, ls), 2e-4);
    }

    @Test
    void bitsFollowTheUnitRoundOff() {
        // 2·var = 2e-4 lies between 2^-13 (1.2e-4) and 2^-12 (2.4e-4): precisions 1..12 have a larger round-off
        assertEquals(12, GroupKl.bits(1e-4));
        assertEquals(0, GroupKl.bits(0.3)); // 0.6 > 2^-1
        assertEquals(1, GroupKl.bits(0.2)); // 0.4 < 0.5
        assertEquals(23, GroupKl.bits(0));
        assertEquals(12, BayesGroupPass.bitsOf(new float[] {1e-4f, 0.2f, 0.3f}, "min"));
        assertEquals(5, BayesGroupPass.bitsOf(new float[] {1e-4f, 0.2f, 0.3f}, "mean")); // ⌈(12 + 1 + 0)/3⌉
    }
}
