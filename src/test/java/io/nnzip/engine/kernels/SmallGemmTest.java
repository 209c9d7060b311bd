package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The unpacked small GEMM against a double-precision triple loop, every transpose case, vector tails, offsets. */
class SmallGemmTest {
    @Test void everyTransposeCaseMatchesTripleLoop() {
        Random r = new Random(5);
        int[][] sizes = {{1, 1, 1}, {16, 16, 16}, {7, 33, 5}, {16, 17, 20}, {3, 64, 48}};
        for (int[] sz : sizes)
            for (int t = 0; t < 8; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
                int m = sz[0], n = sz[1], k = sz[2], off = 3;
                float[] a = new float[off + m * k], b = new float[off + k * n], c = new float[off + m * n];
                for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
                for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
                for (int i = 0; i < c.length; i++) c[i] = r.nextFloat() - 0.5f;
                float[] c0 = c.clone();
                SmallGemm.gemm(ta, tb, m, n, k, a, off, b, off, c, off, acc);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double want = acc ? c0[off + i * n + j] : 0;
                        for (int p = 0; p < k; p++) want += (double) a[off + (ta ? p * m + i : i * k + p)] * b[off + (tb ? j * k + p : p * n + j)];
                        assertEquals(want, c[off + i * n + j], 1e-5, m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc);
                    }
                assertEquals(c0[0], c[0], 0, "writes before the offset");
            }
    }
}
