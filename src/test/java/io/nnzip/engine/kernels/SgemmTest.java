package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sgemm against a double-precision triple loop over odd sizes, every transpose combination, offsets and strides. */
class SgemmTest {
    static final Parallel ONE = new Parallel(1), TWO = new Parallel(2);

    @Test
    void oddSizesAllTransposes() {
        int[] sizes = {1, 2, 7, 15, 17, 33};
        SplittableRandom r = new SplittableRandom(1);
        for (int m : sizes)
            for (int n : sizes)
                for (int k : sizes)
                    for (int t = 0; t < 4; t++) check(r, t >= 2, (t & 1) == 1, m, n, k, 1f, 0f, 0, 0, ONE);
    }

    @Test
    void largerAndBlockEdges() {
        SplittableRandom r = new SplittableRandom(2);
        int[][] shapes = {{255, 257, 300}, {145, 3100, 20}, {300, 40, 513}, {1, 1000, 600}, {1000, 1, 70}, {64, 64, 64}, {9, 784, 32}};
        for (int[] s : shapes)
            for (int t = 0; t < 4; t++)
                for (Parallel p : new Parallel[] {ONE, TWO}) check(r, t >= 2, (t & 1) == 1, s[0], s[1], s[2], 1f, 0f, 0, 0, p);
    }

    @Test
    void alphaBetaOffsetsAndLeadingDims() {
        SplittableRandom r = new SplittableRandom(3);
        float[][] ab = {{1f, 1f}, {0.5f, 0f}, {-2f, 0.25f}, {1f, -1f}, {0f, 2f}, {3f, 1f}};
        for (float[] x : ab)
            for (int t = 0; t < 4; t++)
                for (Parallel p : new Parallel[] {ONE, TWO}) {
                    check(r, t >= 2, (t & 1) == 1, 37, 70, 45, x[0], x[1], 5, 11, p);
                    check(r, t >= 2, (t & 1) == 1, 130, 90, 300, x[0], x[1], 3, 2, p);
                }
    }

    @Test
    void zeroDepthScalesC() {
        SplittableRandom r = new SplittableRandom(4);
        check(r, false, false, 5, 6, 0, 1f, 0.5f, 0, 0, ONE);
        check(r, true, true, 5, 6, 0, 1f, 0f, 0, 0, ONE);
    }

    /** Runs one GEMM on strided sub-matrices (extra columns pad each row, offsets shift the start) and compares. */
    static void check(SplittableRandom r, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int off, int pad, Parallel par) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        int lda = ac + pad, ldb = bc + pad, ldc = n + pad;
        float[] a = OpCheck.random(r, off + ar * lda), b = OpCheck.random(r, off + br * ldb), c = OpCheck.random(r, off + m * ldc);
        float[] c0 = c.clone();
        Sgemm.gemm(ta, tb, m, n, k, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc, par);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[off + p * lda + i] : a[off + i * lda + p];
                    double bv = tb ? b[off + j * ldb + p] : b[off + p * ldb + j];
                    s += av * bv;
                    mag += Math.abs(av * bv);
                }
                double want = alpha * s + (beta == 0f ? 0 : beta * (double) c0[off + i * ldc + j]);
                double got = c[off + i * ldc + j];
                double tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(beta * c0[off + i * ldc + j])) + 1e-6;
                if (Math.abs(got - want) > tol)
                    throw new AssertionError(String.format("m=%d n=%d k=%d ta=%b tb=%b alpha=%g beta=%g: C[%d,%d]=%g, expected %g", m, n, k, ta, tb, alpha, beta, i, j, got, want));
            }
        // padding columns and the prefix before the offset must be untouched
        for (int i = 0; i < off; i++) if (c[i] != c0[i]) throw new AssertionError("wrote before the offset");
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) if (c[off + i * ldc + j] != c0[off + i * ldc + j]) throw new AssertionError("wrote into row padding");
    }
}
