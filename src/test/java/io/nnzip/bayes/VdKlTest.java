package io.nnzip.bayes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The KL approximation of sparse variational dropout: values by hand, gradients against central finite differences. */
class VdKlTest {
    /** The formula written out again in doubles, from θ and log σ² (the reference the finite differences use). */
    private static double reference(double theta, double logSigma2) {
        double la = logSigma2 - Math.log(theta * theta + 1e-8);
        return 0.63576 - 0.63576 / (1 + Math.exp(-(1.87320 + 1.48695 * la))) + 0.5 * Math.log(1 + Math.exp(-la));
    }

    @Test
    void valuesByHand() {
        // log α → ∞: sigmoid → 1 and log(1 + 1/α) → 0, so the KL vanishes (a fully noisy weight costs nothing)
        assertEquals(0, VdKl.kl(30), 1e-6);
        // log α = −10: k1 − k1·σ(1.8732 − 14.8695) + ½·log(1 + e¹⁰) = 0.63576 − 1.4e−6 + 5.0000227
        assertEquals(5.6357813, VdKl.kl(-10), 1e-5);
        // log α = 0: k1 − k1·σ(1.8732) + ½·ln 2 = 0.63576 − 0.55226 + 0.34657
        assertEquals(0.63576 - 0.63576 / (1 + Math.exp(-1.8732)) + 0.5 * Math.log(2), VdKl.kl(0), 1e-12);
        for (double la = -8; la < 8; la += 0.5) assertTrue(VdKl.kl(la + 0.5) < VdKl.kl(la), "KL falls as α grows, at " + la);
        assertEquals(3.0, VdKl.logAlpha(0.1, Math.log(0.01) + 3), 1e-5);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(5);
        int n = 64;
        float[] theta = new float[n], ls = new float[n], gt = new float[n], gl = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) ((0.05 + 0.5 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
            ls[i] = (float) (-12 + 14 * r.nextDouble());
        }
        double scale = 0.37;
        double sum = VdKl.sumAndGrad(theta, ls, gt, gl, scale);
        double ref = 0;
        for (int i = 0; i < n; i++) ref += reference(theta[i], ls[i]);
        assertEquals(ref, sum, 1e-9 * Math.abs(ref) + 1e-9);
        for (int i = 0; i < n; i++) {
            double h = 1e-5;
            double dt = scale * (reference(theta[i] + h, ls[i]) - reference(theta[i] - h, ls[i])) / (2 * h);
            double dl = scale * (reference(theta[i], ls[i] + h) - reference(theta[i], ls[i] - h)) / (2 * h);
            assertEquals(dt, gt[i], 1e-4 * Math.max(1, Math.abs(dt)), "d/dθ " + i);
            assertEquals(dl, gl[i], 1e-4 * Math.max(1, Math.abs(dl)), "d/dlog σ² " + i);
        }
    }

    /** Several chunks (run on the thread team) and extreme values: the same sums and gradients as the reference. */
    @Test
    void chunkedSumMatchesReferenceOverAllRanges() {
        Random r = new Random(11);
        int n = 3 * VdKl.CHUNK + 17;
        float[] theta = new float[n], ls = new float[n], gt = new float[n], gl = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = i % 97 == 0 ? 0f : (float) ((1e-4 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
            ls[i] = (float) (-40 + 50 * r.nextDouble());
        }
        double scale = 1.7;
        double sum = VdKl.sumAndGrad(theta, ls, gt, gl, scale);
        double ref = 0;
        for (int i = 0; i < n; i++) ref += reference(theta[i], ls[i]);
        assertEquals(ref, sum, 1e-9 * Math.abs(ref));
        for (int i = 0; i < n; i += 331) {
            double h = 1e-4 * Math.max(1e-3, Math.abs(theta[i]));
            double dt = scale * (reference(theta[i] + h, ls[i]) - reference(theta[i] - h, ls[i])) / (2 * h);
            double dl = scale * (reference(theta[i], ls[i] + 1e-5) - reference(theta[i], ls[i] - 1e-5)) / 2e-5;
            assertEquals(dt, gt[i], 1e-3 * Math.max(1, Math.abs(dt)), "d/dθ " + i);
            assertEquals(dl, gl[i], 1e-4 * Math.max(1, Math.abs(dl)), "d/dlog σ² " + i);
        }
    }
}
