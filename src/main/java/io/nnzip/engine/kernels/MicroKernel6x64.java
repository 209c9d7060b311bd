package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of {@link LinearRows}: 6 rows of C by 64 columns (4 vectors of 16 lanes, 24 accumulators held
 * across the whole depth), A read in place, B from a packed 64-column sliver.
 * <pre>
 * A: rows ao + i·lda, i &lt; 6, each (kc) contiguous;  bp: (kc, 64) at bo, p-major;  bias: (64) at bias[jo]
 * C: (6, 64) at co with row stride ldc  =  bias + A·bp   (overwritten)
 * </pre>
 * Per depth step 4 loads of B and 6 broadcasts of A feed 24 FMAs; with 64-wide slivers a 64- or 128-column layer
 * reads each row of A once or twice per row block (the 8×32 {@link MicroKernel} reads it two to four times).
 */
final class MicroKernel6x64 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final int MR = 6, NR = 64;

    private MicroKernel6x64() {}

    static void kernel(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] bias, int jo, float[] c, int co, int ldc) {
        FloatVector b0 = FloatVector.fromArray(S, bias, jo), b1 = FloatVector.fromArray(S, bias, jo + 16);
        FloatVector b2 = FloatVector.fromArray(S, bias, jo + 32), b3 = FloatVector.fromArray(S, bias, jo + 48);
        FloatVector c00 = b0, c01 = b1, c02 = b2, c03 = b3;
        FloatVector c10 = b0, c11 = b1, c12 = b2, c13 = b3;
        FloatVector c20 = b0, c21 = b1, c22 = b2, c23 = b3;
        FloatVector c30 = b0, c31 = b1, c32 = b2, c33 = b3;
        FloatVector c40 = b0, c41 = b1, c42 = b2, c43 = b3;
        FloatVector c50 = b0, c51 = b1, c52 = b2, c53 = b3;
        int r0 = ao, r1 = ao + lda, r2 = ao + 2 * lda, r3 = ao + 3 * lda, r4 = ao + 4 * lda, r5 = ao + 5 * lda;
        for (int p = 0; p < kc; p++, bo += 64) {
            b0 = FloatVector.fromArray(S, bp, bo + 0);
            b1 = FloatVector.fromArray(S, bp, bo + 16);
            b2 = FloatVector.fromArray(S, bp, bo + 32);
            b3 = FloatVector.fromArray(S, bp, bo + 48);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + p]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01); c02 = b2.fma(a0, c02); c03 = b3.fma(a0, c03);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + p]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11); c12 = b2.fma(a1, c12); c13 = b3.fma(a1, c13);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + p]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21); c22 = b2.fma(a2, c22); c23 = b3.fma(a2, c23);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + p]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31); c32 = b2.fma(a3, c32); c33 = b3.fma(a3, c33);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + p]);
            c40 = b0.fma(a4, c40); c41 = b1.fma(a4, c41); c42 = b2.fma(a4, c42); c43 = b3.fma(a4, c43);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + p]);
            c50 = b0.fma(a5, c50); c51 = b1.fma(a5, c51); c52 = b2.fma(a5, c52); c53 = b3.fma(a5, c53);
        }
        c00.intoArray(c, co + 0 * ldc + 0); c01.intoArray(c, co + 0 * ldc + 16); c02.intoArray(c, co + 0 * ldc + 32); c03.intoArray(c, co + 0 * ldc + 48);
        c10.intoArray(c, co + 1 * ldc + 0); c11.intoArray(c, co + 1 * ldc + 16); c12.intoArray(c, co + 1 * ldc + 32); c13.intoArray(c, co + 1 * ldc + 48);
        c20.intoArray(c, co + 2 * ldc + 0); c21.intoArray(c, co + 2 * ldc + 16); c22.intoArray(c, co + 2 * ldc + 32); c23.intoArray(c, co + 2 * ldc + 48);
        c30.intoArray(c, co + 3 * ldc + 0); c31.intoArray(c, co + 3 * ldc + 16); c32.intoArray(c, co + 3 * ldc + 32); c33.intoArray(c, co + 3 * ldc + 48);
        c40.intoArray(c, co + 4 * ldc + 0); c41.intoArray(c, co + 4 * ldc + 16); c42.intoArray(c, co + 4 * ldc + 32); c43.intoArray(c, co + 4 * ldc + 48);
        c50.intoArray(c, co + 5 * ldc + 0); c51.intoArray(c, co + 5 * ldc + 16); c52.intoArray(c, co + 5 * ldc + 32); c53.intoArray(c, co + 5 * ldc + 48);
    }
}
