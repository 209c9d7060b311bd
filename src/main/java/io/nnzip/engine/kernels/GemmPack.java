package io.nnzip.engine.kernels;

/**
 * Copies blocks of GEMM operands into the layouts the micro-kernel streams, zero-padding partial slivers so the
 * kernel never branches on edges. Transposition is absorbed here.
 * <pre>
 * A block (mc,kc) -> ap: slivers of MR rows, each (kc, MR) p-major: ap[s·MR·kc + p·MR + i] = alpha·op(A)[ic+s·MR+i, pc+p]
 * B block (kc,nc) -> bp: slivers of NR cols, each (kc, NR) p-major: bp[s·NR·kc + p·NR + j] = op(B)[pc+p, jc+s·NR+j]
 * </pre>
 */
final class GemmPack {
    private GemmPack() {}

    static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc, float alpha, float[] ap, int mr) {
        for (int s = 0; s * mr < mc; s++) {
            int rows = Math.min(mr, mc - s * mr), base = s * mr * kc, r0 = ic + s * mr;
            if (transA) {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (pc + p) * lda + r0, dst = base + p * mr;
                    if (alpha == 1f) System.arraycopy(a, src, ap, dst, rows);
                    else for (int i = 0; i < rows; i++) ap[dst + i] = alpha * a[src + i];
                    for (int i = rows; i < mr; i++) ap[dst + i] = 0f;
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    int src = aOff + (r0 + i) * lda + pc, dst = base + i;
                    if (alpha == 1f) for (int p = 0; p < kc; p++) ap[dst + p * mr] = a[src + p];
                    else for (int p = 0; p < kc; p++) ap[dst + p * mr] = alpha * a[src + p];
                }
                for (int i = rows; i < mr; i++) for (int p = 0; p < kc; p++) ap[base + i + p * mr] = 0f;
            }
        }
    }

    static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, float[] bp, int nr) {
        for (int s = 0; s * nr < nc; s++) {
            int cols = Math.min(nr, nc - s * nr), base = s * nr * kc, c0 = jc + s * nr;
            if (transB) {
                for (int j = 0; j < cols; j++) {
                    int src = bOff + (c0 + j) * ldb + pc, dst = base + j;
                    for (int p = 0; p < kc; p++) bp[dst + p * nr] = b[src + p];
                }
                for (int j = cols; j < nr; j++) for (int p = 0; p < kc; p++) bp[base + j + p * nr] = 0f;
            } else {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * nr;
                    System.arraycopy(b, bOff + (pc + p) * ldb + c0, bp, dst, cols);
                    for (int j = cols; j < nr; j++) bp[dst + j] = 0f;
                }
            }
        }
    }
}
