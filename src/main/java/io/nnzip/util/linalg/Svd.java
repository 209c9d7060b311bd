package io.nnzip.util.linalg;

import io.nnzip.ir.NnzipException;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Thin singular value decomposition A (m×n) = U · diag(s) · Vᵀ by EJML, s descending, p = min(m, n) triplets: U is
 * m×p and V n×p, both with orthonormal columns. Every factorization and penalty that needs an SVD takes it here.
 */
public final class Svd {
    public final Matrix u;
    public final double[] s;
    public final Matrix v;

    private Svd(Matrix u, double[] s, Matrix v) {
        this.u = u;
        this.s = s;
        this.v = v;
    }

    /** {@code a} is left as it is. */
    public static Svd of(Matrix a) {
        int m = a.rows, n = a.cols, p = Math.min(m, n);
        SingularValueDecomposition_F64<DMatrixRMaj> d = DecompositionFactory_DDRM.svd(m, n, true, true, true);
        if (!d.decompose(new DMatrixRMaj(m, n, true, a.a)))
            throw new NnzipException("SVD of a " + m + "x" + n + " matrix did not converge (non-finite values?)");
        DMatrixRMaj u = d.getU(null, false), w = d.getW(null), v = d.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] sv = new double[p];
        for (int i = 0; i < p; i++) sv[i] = w.get(i, i);
        return new Svd(leftCols(u, p), sv, leftCols(v, p));
    }

    private static Matrix leftCols(DMatrixRMaj x, int p) {
        Matrix out = new Matrix(x.numRows, p);
        for (int i = 0; i < x.numRows; i++) for (int j = 0; j < p; j++) out.a[i * p + j] = x.get(i, j);
        return out;
    }

    /** Σ s_i² for i ≥ k: the squared Frobenius error of the best rank-k approximation (Eckart–Young). */
    public double tailEnergy(int k) {
        double e = 0;
        for (int i = Math.max(0, k); i < s.length; i++) e += s[i] * s[i];
        return e;
    }

    public double totalEnergy() { return tailEnergy(0); }

    /** Smallest rank whose kept singular values hold at least {@code energy} of Σ s². */
    public int rankForEnergy(double energy) {
        double total = totalEnergy(), kept = 0;
        if (total == 0) return 1;
        for (int k = 0; k < s.length; k++) {
            kept += s[k] * s[k];
            if (kept >= energy * total * (1 - 1e-12)) return k + 1;
        }
        return s.length;
    }

    /** The smallest rank whose truncation error² is at most {@code maxTail} (at least 1). */
    public int rankForTail(double maxTail) {
        int k = s.length;
        while (k > 1 && tailEnergy(k - 1) <= maxTail) k--;
        return k;
    }

    /** U_k · diag(s_k) · V_kᵀ */
    public Matrix reconstruct(int k) {
        Matrix us = u.leftCols(k);
        for (int i = 0; i < us.rows; i++) for (int j = 0; j < k; j++) us.a[i * k + j] *= s[j];
        return us.times(v.leftCols(k).transpose());
    }
}
