package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * One small matrix product without packing or blocking, for the thousands of (batch, head) products of attention
 * (16×16×16 in a 4-head ViT) where {@link Sgemm}'s packing costs more than the arithmetic. Callers spread the batch
 * over threads. Row-major, natural leading dims:
 * <pre>
 * op(A): (M,K) stored (M,K), or (K,M) when transA;  op(B): (K,N) stored (K,N), or (N,K) when transB
 * C: (M,N) = op(A)·op(B), added to C when acc
 * </pre>
 * Rows of C are N-wide vector FMAs over the rows of op(B); a transposed B is first copied once into row-major
 * scratch, so every case runs the same inner loop.
 */
public final class SmallGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Products up to this many multiply-adds take this path. */
    public static final long MAX_MACS = 1L << 16;

    private SmallGemm() {}

    public static boolean fits(int m, int n, int k) { return (long) m * n * k <= MAX_MACS; }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
                            float[] c, int cOff, boolean acc) {
        if (transB) {
            float[] t = new float[k * n];
            for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) t[p * n + j] = b[bOff + j * k + p];
            b = t;
            bOff = 0;
        }
        int L = S.length();
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                FloatVector v = acc ? FloatVector.fromArray(S, c, ci + j, mask) : FloatVector.zero(S);
                for (int p = 0; p < k; p++) {
                    float aip = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    v = FloatVector.fromArray(S, b, bOff + p * n + j, mask).fma(FloatVector.broadcast(S, aip), v);
                }
                v.intoArray(c, ci + j, mask);
            }
        }
    }
}
