package io.nnzip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Singular value soft-thresholding against a matrix built from known orthonormal vectors (Hadamard rows). */
class LowRankPenaltyTest {
    private static double[][] hadamard(int n) {
        double[][] h = {{1}};
        while (h.length < n) {
            int m = h.length;
            double[][] g = new double[2 * m][2 * m];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) {
                    g[i][j] = g[i][j + m] = g[i + m][j] = h[i][j];
                    g[i + m][j + m] = -h[i][j];
                }
            h = g;
        }
        double s = Math.sqrt(n);
        for (double[] r : h) for (int j = 0; j < n; j++) r[j] /= s;
        return h;
    }

    private static float[] compose(double[] sigma, double[][] u, double[][] v, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int k = 0; k < sigma.length; k++)
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) w[i * cols + j] += (float) (sigma[k] * u[k][i] * v[k][j]);
        return w;
    }

    @Test
    void singularValuesShrinkByTheThresholdAndSmallOnesVanish() {
        int rows = 4, cols = 8;
        double[][] u = hadamard(rows), v = hadamard(cols);
        float[] w = compose(new double[] {3, 2, 0.5, 0.1}, u, v, rows, cols);
        double nuclear = LowRankPenalty.shrink(w, rows, cols, 0.6);
        float[] want = compose(new double[] {2.4, 1.4, 0, 0}, u, v, rows, cols);
        assertEquals(3.8, nuclear, 1e-5);
        for (int i = 0; i < w.length; i++) assertEquals(want[i], w[i], 1e-5, "element " + i);
    }
}
