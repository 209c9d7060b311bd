package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Forward of an ungrouped convolution whose unfolded depth C·R·S is tiny (a first layer on 1–3 channel images).
 * A GEMM with a shared dimension of 9 spends its time storing tiles, not multiplying; here each output plane is
 * built in one pass: 4 output channels at a time, every im2col row is loaded once per vector and feeds 4 FMAs.
 * <pre>
 * x: (N,C,H,W), w: (K, rows = C·R·S), bias: (K) or null -> y: (N,K,P,Q)
 * y[n,k,j] = bias[k] + Σ_r w[k,r] · col_n[r,j]
 * </pre>
 * Parallel over images; each thread unfolds into its own buffer.
 */
public final class ThinConvForward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Unfolded depths up to this take this path (an RGB 3×3 layer has 27). */
    static final int MAX_ROWS = 32;

    private ThinConvForward() {}

    public static boolean applies(ConvGeometry g) {
        return g.group() == 1 && g.colRows() <= MAX_ROWS && !g.isPointwise();
    }

    public static void run(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, Parallel par, ArrayPool pool) {
        int k = g.k(), rows = g.colRows(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w();
        par.forRange(g.n(), 1, (lo, hi) -> {
            float[] col = pool.floats(rows * pq, false);
            for (int img = lo; img < hi; img++) {
                StridedColumns.im2col(g, x, img * chw, col, 0, pq);
                int yo = img * k * pq, kk = 0;
                for (; kk + 4 <= k; kk += 4) four(col, rows, pq, w, kk, bias, y, yo);
                for (; kk < k; kk++) one(col, rows, pq, w, kk, bias, y, yo);
            }
        });
    }

    private static void four(float[] col, int rows, int pq, float[] w, int k0, float[] bias, float[] y, int yo) {
        int w0 = k0 * rows, w1 = w0 + rows, w2 = w1 + rows, w3 = w2 + rows;
        float b0 = bias == null ? 0f : bias[k0], b1 = bias == null ? 0f : bias[k0 + 1];
        float b2 = bias == null ? 0f : bias[k0 + 2], b3 = bias == null ? 0f : bias[k0 + 3];
        int o0 = yo + k0 * pq, o1 = o0 + pq, o2 = o1 + pq, o3 = o2 + pq, j = 0;
        for (int end = S.loopBound(pq); j < end; j += S.length()) {
            FloatVector a0 = FloatVector.broadcast(S, b0), a1 = FloatVector.broadcast(S, b1);
            FloatVector a2 = FloatVector.broadcast(S, b2), a3 = FloatVector.broadcast(S, b3);
            for (int r = 0; r < rows; r++) {
                FloatVector c = FloatVector.fromArray(S, col, r * pq + j);
                a0 = c.fma(FloatVector.broadcast(S, w[w0 + r]), a0);
                a1 = c.fma(FloatVector.broadcast(S, w[w1 + r]), a1);
                a2 = c.fma(FloatVector.broadcast(S, w[w2 + r]), a2);
                a3 = c.fma(FloatVector.broadcast(S, w[w3 + r]), a3);
            }
            a0.intoArray(y, o0 + j);
            a1.intoArray(y, o1 + j);
            a2.intoArray(y, o2 + j);
            a3.intoArray(y, o3 + j);
        }
        for (; j < pq; j++) {
            float s0 = b0, s1 = b1, s2 = b2, s3 = b3;
            for (int r = 0; r < rows; r++) {
                float c = col[r * pq + j];
                s0 += w[w0 + r] * c;
                s1 += w[w1 + r] * c;
                s2 += w[w2 + r] * c;
                s3 += w[w3 + r] * c;
            }
            y[o0 + j] = s0;
            y[o1 + j] = s1;
            y[o2 + j] = s2;
            y[o3 + j] = s3;
        }
    }

    private static void one(float[] col, int rows, int pq, float[] w, int k0, float[] bias, float[] y, int yo) {
        float b = bias == null ? 0f : bias[k0];
        int wo = k0 * rows, o = yo + k0 * pq;
        for (int j = 0; j < pq; j++) {
            float s = b;
            for (int r = 0; r < rows; r++) s += w[wo + r] * col[r * pq + j];
            y[o + j] = s;
        }
    }
}
