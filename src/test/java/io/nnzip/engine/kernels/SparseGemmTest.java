package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The batch-vectorized sparse linear kernel against a plain triple loop over the dense weights. */
class SparseGemmTest {
    @ParameterizedTest
    @CsvSource({"1,1,8", "5,1,8", "16,2,8", "64,2,8", "65,2,8", "128,1,8", "130,1,8", "200,2,8", "257,2,8", "3,2,8",
            "64,1,4", "65,2,4", "130,1,4", "257,2,4"})
    void matchesPlainLoops(int m, int threads, int vectors) {
        SplittableRandom r = new SplittableRandom(m);
        int n = 37, k = 91, ldx = k + 3, ldy = n + 2;
        float[] w = new float[n * k], x = new float[m * ldx], bias = new float[n];
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(8) == 0 ? (float) r.nextGaussian() : 0f;
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) bias[i] = (float) r.nextGaussian();
        SparseRows s = SparseRows.of(w, 0, n, k);
        int kept = SparseGemm.vectors;
        long keptMin = SparseGemm.parallelMinMacs;
        SparseGemm.vectors = vectors; // 8 is the kernel's block; 4 its other register block (benchmarks)
        if (threads > 1) SparseGemm.parallelMinMacs = 0; // products this small stay on the caller by default: split them anyway
        try (Parallel par = new Parallel(threads)) {
            for (int mode = 0; mode < 4; mode++) {
                boolean relu = (mode & 1) != 0, accumulate = (mode & 2) != 0;
                float[] y = new float[2 + m * ldy];
                for (int i = 0; i < y.length; i++) y[i] = i % 3 - 1f;
                float[] before = y.clone();
                SparseGemm.multiply(s, x, 0, ldx, m, 0.5f, accumulate ? null : bias, relu, y, 2, ldy, accumulate, par);
                for (int i = 0; i < m; i++)
                    for (int o = 0; o < ldy; o++) {
                        int at = 2 + i * ldy + o;
                        if (o >= n) {
                            assertEquals(before[at], y[at], "padding column untouched");
                            continue;
                        }
                        double e = 0;
                        for (int c = 0; c < k; c++) e += w[o * k + c] * x[i * ldx + c];
                        e = (accumulate ? before[at] : bias[o]) + 0.5 * e;
                        if (relu) e = Math.max(0, e);
                        assertEquals(e, y[at], 1e-4, "m=" + m + " mode=" + mode + " at " + i + "," + o);
                    }
                assertEquals(before[0], y[0]);
                assertEquals(before[1], y[1]);
            }
        } finally {
            SparseGemm.vectors = kept;
            SparseGemm.parallelMinMacs = keptMin;
        }
    }
}
