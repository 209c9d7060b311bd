package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weight gradient of an ungrouped convolution as dot products along the long, contiguous axis.
 * <pre>
 * x: (N,C,H,W), dy: (N,K,P,Q) -> dw: (K,C,R,S) viewed as (K, rows = C·R·S)
 * per block of B images:  dyB (K, B·P·Q), colB (rows, B·P·Q) = im2col of the block
 *                         dw[k][r] += Σ_j dyB[k][j] · colB[r][j]
 * </pre>
 * A GEMM would have to transpose-pack both operands (their shared axis is the contiguous one); here 4×4 tiles of
 * rows stream straight from the blocks, 16 vector accumulators each, reduced once per block in one fixed-order
 * tree ({@link LaneSum}). Threads take
 * disjoint image ranges with private partial sums, added in a fixed order (deterministic for a thread count).
 */
public final class ConvWeightGrad {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Columns per block: the 4-row strips of both blocks then stay in L1 and the blocks in L2. */
    private static final int TARGET_COLUMNS = 640;

    private ConvWeightGrad() {}

    /** Overwrites dw; group must be 1. */
    public static void run(ConvGeometry g, float[] x, float[] dy, float[] dw, Parallel par, ArrayPool pool) {
        int n = g.n(), k = g.k(), pq = g.p() * g.q(), rows = g.colRows(), chw = g.c() * g.h() * g.w();
        int block = Math.max(1, Math.min(n, TARGET_COLUMNS / pq));
        int chunks = Math.min(par.threads(), (n + block - 1) / block);
        float[][] partial = new float[chunks][];
        boolean pointwise = g.isPointwise();
        par.forChunks(n, chunks, (lo, hi) -> {
            int t = ConvBackward.chunkIndex(lo, n, chunks);
            float[] part = t == 0 ? dw : pool.floats(k * rows, false);
            java.util.Arrays.fill(part, 0f);
            int ldMax = roundUp(block * pq);
            float[] dyB = pool.floats(k * ldMax, false), colB = pool.floats(rows * ldMax, false);
            for (int start = lo; start < hi; start += block) {
                int b = Math.min(block, hi - start), used = b * pq, ld = roundUp(used);
                if (b == 1 && ld == used) {
                    // one whole image whose planes are vector-aligned: dy's rows are already the block's rows
                    if (pointwise) accumulate(dy, start * k * pq, x, start * chw, part, k, rows, ld);
                    else {
                        StridedColumns.im2col(g, x, start * chw, colB, 0, ld);
                        accumulate(dy, start * k * pq, colB, 0, part, k, rows, ld);
                    }
                    continue;
                }
                for (int i = 0; i < b; i++) {
                    int img = start + i;
                    for (int kk = 0; kk < k; kk++) System.arraycopy(dy, (img * k + kk) * pq, dyB, kk * ld + i * pq, pq);
                    if (pointwise) for (int c = 0; c < rows; c++) System.arraycopy(x, img * chw + c * pq, colB, c * ld + i * pq, pq);
                    else StridedColumns.im2col(g, x, img * chw, colB, i * pq, ld);
                }
                if (ld > used) {
                    // the padding columns must add nothing: zero in dyB, finite in colB
                    for (int kk = 0; kk < k; kk++) java.util.Arrays.fill(dyB, kk * ld + used, kk * ld + ld, 0f);
                    for (int r = 0; r < rows; r++) java.util.Arrays.fill(colB, r * ld + used, r * ld + ld, 0f);
                }
                accumulate(dyB, 0, colB, 0, part, k, rows, ld);
            }
            partial[t] = part;
        });
        for (int t = 1; t < chunks; t++) {
            float[] p = partial[t];
            for (int i = 0; i < dw.length; i++) dw[i] += p[i];
        }
    }

    private static int roundUp(int cols) { return (cols + S.length() - 1) / S.length() * S.length(); }

    /** dw (K, rows) += a (K, ld) · b (rows, ld)^T, a and b starting at aOff, bOff; ld is a multiple of the vector length. */
    static void accumulate(float[] a, int aOff, float[] b, int bOff, float[] dw, int k, int rows, int ld) {
        // a 4-row strip of b stays in L1 while all of a (the smaller block: K ≤ C·R·S) streams from L2
        int k4 = k & ~3, r4 = rows & ~3;
        float[] acc = new float[16 * S.length()];
        for (int r = 0; r < r4; r += 4) {
            for (int i = 0; i < k4; i += 4) tile4x4(a, aOff + i * ld, b, bOff + r * ld, ld, dw, i * rows + r, rows, acc);
            for (int i = k4; i < k; i++)
                for (int rr = r; rr < r + 4; rr++) dw[i * rows + rr] += dot(a, aOff + i * ld, b, bOff + rr * ld, ld);
        }
        for (int r = r4; r < rows; r++)
            for (int i = 0; i < k; i++) dw[i * rows + r] += dot(a, aOff + i * ld, b, bOff + r * ld, ld);
    }

    private static void tile4x4(float[] a, int ao, float[] b, int bo, int ld, float[] dw, int o, int rows, float[] acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int j = 0; j < ld; j += S.length()) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo + j), b1 = FloatVector.fromArray(S, b, bo + ld + j);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * ld + j), b3 = FloatVector.fromArray(S, b, bo + 3 * ld + j);
            FloatVector a0 = FloatVector.fromArray(S, a, ao + j);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.fromArray(S, a, ao + ld + j);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.fromArray(S, a, ao + 2 * ld + j);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.fromArray(S, a, ao + 3 * ld + j);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            c33 = a3.fma(b3, c33);
        }
        // through memory to LaneSum.ofStored: folded inline, C2's node budget for tile4x4 ran out (NodeCountInliningCutoff)
        // and the vectors of the folds it did not inline were boxed
        int l = S.length();
        c00.intoArray(acc, 0);
        c01.intoArray(acc, l);
        c02.intoArray(acc, 2 * l);
        c03.intoArray(acc, 3 * l);
        c10.intoArray(acc, 4 * l);
        c11.intoArray(acc, 5 * l);
        c12.intoArray(acc, 6 * l);
        c13.intoArray(acc, 7 * l);
        c20.intoArray(acc, 8 * l);
        c21.intoArray(acc, 9 * l);
        c22.intoArray(acc, 10 * l);
        c23.intoArray(acc, 11 * l);
        c30.intoArray(acc, 12 * l);
        c31.intoArray(acc, 13 * l);
        c32.intoArray(acc, 14 * l);
        c33.intoArray(acc, 15 * l);
        reduceTile(acc, dw, o, rows);
    }

    /** dw[o + i·rows + j] += Σ lanes of accumulator 4i + j (stored one after another in acc), in LaneSum's order. */
    private static void reduceTile(float[] acc, float[] dw, int o, int rows) {
        LaneSum.ofStored(acc, 16);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) dw[o + i * rows + j] += acc[LaneSum.stored(4 * i + j, 16)];
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int ld) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < ld; j += S.length()) acc = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), acc);
        return LaneSum.of(acc);
    }
}
