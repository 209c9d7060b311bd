package io.nnzip.prune.criteria;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Feature-map rank for HRank: sums of k random outer products have rank k (almost surely). */
class MatrixRankTest {
    static float[] lowRank(int rows, int cols, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] m = new float[rows * cols];
        for (int t = 0; t < k; t++) {
            double[] u = new double[rows], v = new double[cols];
            for (int i = 0; i < rows; i++) u[i] = r.nextDouble() - 0.5;
            for (int j = 0; j < cols; j++) v[j] = r.nextDouble() - 0.5;
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i * cols + j] += (float) (u[i] * v[j]);
        }
        return m;
    }

    @Test
    void ranksOfKnownMatrices() {
        for (int k = 0; k <= 7; k++) assertEquals(k, MatrixRank.of(lowRank(7, 9, k, k), 0, 7, 9), "rank " + k);
        assertEquals(5, MatrixRank.of(lowRank(12, 5, 8, 3), 0, 12, 5), "full column rank");
        float[] padded = new float[3 + 16];
        System.arraycopy(lowRank(4, 4, 2, 9), 0, padded, 3, 16);
        assertEquals(2, MatrixRank.of(padded, 3, 4, 4), "reads at an offset");
    }
}
