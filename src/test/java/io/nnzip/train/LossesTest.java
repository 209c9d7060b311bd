package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Loss values against closed forms, gradients against central finite differences. */
class LossesTest {
    private static float[] random(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian() * 2;
        return f;
    }

    private static void gradCheck(float[] x, float[] analytic, Function<float[], Float> loss) {
        for (int i = 0; i < x.length; i++) {
            float orig = x[i], h = 1e-2f;
            x[i] = orig + h;
            double lp = loss.apply(x);
            x[i] = orig - h;
            double lm = loss.apply(x);
            x[i] = orig;
            assertEquals((lp - lm) / (2 * h), analytic[i], 2e-3, "element " + i);
        }
    }

    @Test
    void crossEntropyMatchesClosedFormAndFiniteDifferences() {
        Random r = new Random(1);
        int n = 4, k = 5;
        float[] z = random(r, n * k), g = new float[n * k];
        int[] y = {0, 3, 4, 1};
        float loss = Losses.softmaxCrossEntropy(z, y, n, k, 0f, g);
        double ref = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < k; j++) s += Math.exp(z[i * k + j]);
            ref += Math.log(s) - z[i * k + y[i]];
        }
        assertEquals(ref / n, loss, 1e-5);
        gradCheck(z, g, x -> Losses.softmaxCrossEntropy(x, y, n, k, 0f, null));
        float[] gs = new float[n * k];
        Losses.softmaxCrossEntropy(z, y, n, k, 0.1f, gs);
        gradCheck(z, gs, x -> Losses.softmaxCrossEntropy(x, y, n, k, 0.1f, null));
    }

    @Test
    void labelSmoothingOfUniformLogitsIsLogK() {
        float[] z = new float[10];
        assertEquals(Math.log(10), Losses.softmaxCrossEntropy(z, new int[] {3}, 1, 10, 0.3f, null), 1e-5);
    }

    @Test
    void klDivergenceIsZeroForEqualDistributionsAndHasCorrectGradient() {
        Random r = new Random(2);
        int n = 3, k = 4;
        float[] s = random(r, n * k), t = random(r, n * k), g = new float[n * k];
        assertEquals(0, Losses.klDivergence(t, t, n, k, 3f, null), 1e-6);
        Losses.klDivergence(s, t, n, k, 3f, g);
        gradCheck(s, g, x -> Losses.klDivergence(x, t, n, k, 3f, null));
    }

    @Test
    void mseAndPenalties() {
        float[] p = {1, 2, 3}, t = {1, 0, 5}, g = new float[3];
        assertEquals((0 + 4 + 4) / 3.0, Losses.mse(p, t, g), 1e-6);
        gradCheck(p, g, x -> Losses.mse(x, t, null));
        float[] w = {-2, 0.5f, 3}, gw = new float[3];
        assertEquals(0.1 * 5.5, Penalty.l1(0.1f, "w").apply(w, gw), 1e-6);
        assertEquals(-0.1f, gw[0], 1e-7);
        float[] gw2 = new float[3];
        assertEquals(0.1 * 0.5 * (4 + 0.25 + 9), Penalty.l2(0.1f, "w").apply(w, gw2), 1e-6);
        assertEquals(0.3f, gw2[2], 1e-7);
    }
}
