package io.nnzip.search;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Fréchet distance against cases computed by hand: diagonal covariances (the cross term is Σ σ₁σ₂, so
 * d² = ‖Δμ‖² + Σ (σ₁ − σ₂)²), covariances sharing a rotated eigenbasis (Σ √(λᵢ νᵢ)), zero for a set against itself,
 * symmetry, and the sample statistics against a two-point hand count.
 */
class FrechetDistanceTest {
    static FrechetDistance.Stats diag(double[] mu, double[] var) {
        double[][] c = new double[mu.length][mu.length];
        for (int i = 0; i < mu.length; i++) c[i][i] = var[i];
        return new FrechetDistance.Stats(mu, c);
    }

    @Test
    void diagonalGaussiansMatchTheHandFormula() {
        FrechetDistance.Stats a = diag(new double[] {0, 1, 2}, new double[] {1, 4, 9}), b = diag(new double[] {1, 1, 0}, new double[] {4, 4, 1});
        // ‖Δμ‖² = 1 + 0 + 4 = 5; Σ (σ₁ − σ₂)² = (1−2)² + (2−2)² + (3−1)² = 5
        assertEquals(10.0, FrechetDistance.of(a, b), 1e-9);
        assertEquals(FrechetDistance.of(a, b), FrechetDistance.of(b, a), 1e-9);
        assertEquals(0.0, FrechetDistance.of(a, a), 1e-9);
    }

    @Test
    void covariancesWithOneRotatedEigenbasis() {
        double t = 0.7, c = Math.cos(t), s = Math.sin(t);
        double[][] r = {{c, -s}, {s, c}};
        double[] l1 = {2, 0.5}, l2 = {3, 8};
        double[][] s1 = rotate(r, l1), s2 = rotate(r, l2);
        double want = 0.25 + (2 + 0.5 + 3 + 8) - 2 * (Math.sqrt(6) + Math.sqrt(4));
        double got = FrechetDistance.of(new FrechetDistance.Stats(new double[] {0.5, 0}, s1), new FrechetDistance.Stats(new double[] {0, 0}, s2));
        assertEquals(want, got, 1e-9);
    }

    static double[][] rotate(double[][] r, double[] l) {
        double[][] out = new double[2][2];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) for (int k = 0; k < 2; k++) out[i][j] += r[i][k] * l[k] * r[j][k];
        return out;
    }

    @Test
    void sampleStatisticsAndGeneralCovariances() {
        FrechetDistance.Stats two = FrechetDistance.Stats.of(new double[][] {{1, 2}, {3, 6}});
        assertArrayEquals(new double[] {2, 4}, two.mean(), 1e-12);
        // deviations (∓1, ∓2), divided by n − 1 = 1
        assertArrayEquals(new double[] {2, 4}, two.cov()[0], 1e-12);
        assertArrayEquals(new double[] {4, 8}, two.cov()[1], 1e-12);
        SplittableRandom rnd = new SplittableRandom(3);
        double[][] x = new double[200][5], y = new double[200][5];
        for (int i = 0; i < 200; i++)
            for (int j = 0; j < 5; j++) {
                x[i][j] = Encoding.gaussian(rnd) + (j > 0 ? 0.5 * x[i][j - 1] : 0);
                y[i][j] = 2 * Encoding.gaussian(rnd) + 1;
            }
        FrechetDistance.Stats a = FrechetDistance.Stats.of(x), b = FrechetDistance.Stats.of(y);
        double ab = FrechetDistance.of(a, b);
        assertEquals(ab, FrechetDistance.of(b, a), 1e-8 * ab);
        assertEquals(0.0, FrechetDistance.of(a, a), 1e-8);
        assertTrue(ab > 5, "clearly different sets are far apart: " + ab);
    }
}
