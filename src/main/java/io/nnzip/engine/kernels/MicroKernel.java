package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The register-tiled inner product of GEMM: an MR×NR tile of C kept in vector registers across the whole depth. */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final int MR = 8, NR = 32;

    private MicroKernel() {}

    /** C[0..8, 0..32) (+)= sum over p < kc of ap[p·8 + i] · bp[p·32 + j]; loads C first when accumulate. */
    static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ao += 8, bo += 32) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + 0);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 16);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao + 0]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ao + 6]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ao + 7]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        (accumulate ? c00.add(FloatVector.fromArray(S, c, co + 0 * ldc + 0)) : c00).intoArray(c, co + 0 * ldc + 0);
        (accumulate ? c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + 16)) : c01).intoArray(c, co + 0 * ldc + 16);
        (accumulate ? c10.add(FloatVector.fromArray(S, c, co + 1 * ldc + 0)) : c10).intoArray(c, co + 1 * ldc + 0);
        (accumulate ? c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + 16)) : c11).intoArray(c, co + 1 * ldc + 16);
        (accumulate ? c20.add(FloatVector.fromArray(S, c, co + 2 * ldc + 0)) : c20).intoArray(c, co + 2 * ldc + 0);
        (accumulate ? c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + 16)) : c21).intoArray(c, co + 2 * ldc + 16);
        (accumulate ? c30.add(FloatVector.fromArray(S, c, co + 3 * ldc + 0)) : c30).intoArray(c, co + 3 * ldc + 0);
        (accumulate ? c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + 16)) : c31).intoArray(c, co + 3 * ldc + 16);
        (accumulate ? c40.add(FloatVector.fromArray(S, c, co + 4 * ldc + 0)) : c40).intoArray(c, co + 4 * ldc + 0);
        (accumulate ? c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + 16)) : c41).intoArray(c, co + 4 * ldc + 16);
        (accumulate ? c50.add(FloatVector.fromArray(S, c, co + 5 * ldc + 0)) : c50).intoArray(c, co + 5 * ldc + 0);
        (accumulate ? c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + 16)) : c51).intoArray(c, co + 5 * ldc + 16);
        (accumulate ? c60.add(FloatVector.fromArray(S, c, co + 6 * ldc + 0)) : c60).intoArray(c, co + 6 * ldc + 0);
        (accumulate ? c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + 16)) : c61).intoArray(c, co + 6 * ldc + 16);
        (accumulate ? c70.add(FloatVector.fromArray(S, c, co + 7 * ldc + 0)) : c70).intoArray(c, co + 7 * ldc + 0);
        (accumulate ? c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + 16)) : c71).intoArray(c, co + 7 * ldc + 16);
    }

    /**
     * Like {@link #kernel} but reads A unpacked: row i of the tile is {@code a[ao + i·lda + p]}, p < kc. Row-major
     * A then needs no packing, which is what a second thread splitting C by columns would otherwise repeat.
     */
    static void kernelRowsA(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        int r0 = ao, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda, r5 = r4 + lda, r6 = r5 + lda, r7 = r6 + lda;
        for (int p = 0; p < kc; p++, bo += 32) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo + 0);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 16);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + p]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + p]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[r6 + p]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[r7 + p]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        (accumulate ? c00.add(FloatVector.fromArray(S, c, co + 0 * ldc + 0)) : c00).intoArray(c, co + 0 * ldc + 0);
        (accumulate ? c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + 16)) : c01).intoArray(c, co + 0 * ldc + 16);
        (accumulate ? c10.add(FloatVector.fromArray(S, c, co + 1 * ldc + 0)) : c10).intoArray(c, co + 1 * ldc + 0);
        (accumulate ? c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + 16)) : c11).intoArray(c, co + 1 * ldc + 16);
        (accumulate ? c20.add(FloatVector.fromArray(S, c, co + 2 * ldc + 0)) : c20).intoArray(c, co + 2 * ldc + 0);
        (accumulate ? c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + 16)) : c21).intoArray(c, co + 2 * ldc + 16);
        (accumulate ? c30.add(FloatVector.fromArray(S, c, co + 3 * ldc + 0)) : c30).intoArray(c, co + 3 * ldc + 0);
        (accumulate ? c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + 16)) : c31).intoArray(c, co + 3 * ldc + 16);
        (accumulate ? c40.add(FloatVector.fromArray(S, c, co + 4 * ldc + 0)) : c40).intoArray(c, co + 4 * ldc + 0);
        (accumulate ? c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + 16)) : c41).intoArray(c, co + 4 * ldc + 16);
        (accumulate ? c50.add(FloatVector.fromArray(S, c, co + 5 * ldc + 0)) : c50).intoArray(c, co + 5 * ldc + 0);
        (accumulate ? c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + 16)) : c51).intoArray(c, co + 5 * ldc + 16);
        (accumulate ? c60.add(FloatVector.fromArray(S, c, co + 6 * ldc + 0)) : c60).intoArray(c, co + 6 * ldc + 0);
        (accumulate ? c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + 16)) : c61).intoArray(c, co + 6 * ldc + 16);
        (accumulate ? c70.add(FloatVector.fromArray(S, c, co + 7 * ldc + 0)) : c70).intoArray(c, co + 7 * ldc + 0);
        (accumulate ? c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + 16)) : c71).intoArray(c, co + 7 * ldc + 16);
    }

    /** Like {@link #kernel} but reads B unpacked: row p of the sliver at {@code b[bo + p·ldb]}. */
    static void kernelStrided(int kc, float[] ap, int ao, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = bo + p * ldb, a = ao + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, b, bp + 0);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + 16);
            FloatVector a0 = FloatVector.broadcast(S, ap[a + 0]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[a + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[a + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[a + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[a + 4]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[a + 5]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[a + 6]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[a + 7]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        (accumulate ? c00.add(FloatVector.fromArray(S, c, co + 0 * ldc + 0)) : c00).intoArray(c, co + 0 * ldc + 0);
        (accumulate ? c01.add(FloatVector.fromArray(S, c, co + 0 * ldc + 16)) : c01).intoArray(c, co + 0 * ldc + 16);
        (accumulate ? c10.add(FloatVector.fromArray(S, c, co + 1 * ldc + 0)) : c10).intoArray(c, co + 1 * ldc + 0);
        (accumulate ? c11.add(FloatVector.fromArray(S, c, co + 1 * ldc + 16)) : c11).intoArray(c, co + 1 * ldc + 16);
        (accumulate ? c20.add(FloatVector.fromArray(S, c, co + 2 * ldc + 0)) : c20).intoArray(c, co + 2 * ldc + 0);
        (accumulate ? c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + 16)) : c21).intoArray(c, co + 2 * ldc + 16);
        (accumulate ? c30.add(FloatVector.fromArray(S, c, co + 3 * ldc + 0)) : c30).intoArray(c, co + 3 * ldc + 0);
        (accumulate ? c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + 16)) : c31).intoArray(c, co + 3 * ldc + 16);
        (accumulate ? c40.add(FloatVector.fromArray(S, c, co + 4 * ldc + 0)) : c40).intoArray(c, co + 4 * ldc + 0);
        (accumulate ? c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + 16)) : c41).intoArray(c, co + 4 * ldc + 16);
        (accumulate ? c50.add(FloatVector.fromArray(S, c, co + 5 * ldc + 0)) : c50).intoArray(c, co + 5 * ldc + 0);
        (accumulate ? c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + 16)) : c51).intoArray(c, co + 5 * ldc + 16);
        (accumulate ? c60.add(FloatVector.fromArray(S, c, co + 6 * ldc + 0)) : c60).intoArray(c, co + 6 * ldc + 0);
        (accumulate ? c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + 16)) : c61).intoArray(c, co + 6 * ldc + 16);
        (accumulate ? c70.add(FloatVector.fromArray(S, c, co + 7 * ldc + 0)) : c70).intoArray(c, co + 7 * ldc + 0);
        (accumulate ? c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + 16)) : c71).intoArray(c, co + 7 * ldc + 16);
    }
}
