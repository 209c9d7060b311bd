package io.nnzip.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The thin SVD A = U·diag(s)·Vᵀ of a row-major matrix by EJML, singular values in descending order: what the
 * Tensor-Train, block-term and data-driven factorizations build on. {@code u} is rows×q and {@code v} cols×q,
 * q = min(rows, cols), both row-major.
 */
public record TruncatedSvd(int rows, int cols, double[] s, double[] u, double[] v) {

    public static TruncatedSvd of(double[] a, int rows, int cols) {
        SingularValueDecomposition_F64<DMatrixRMaj> d = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!d.decompose(new DMatrixRMaj(rows, cols, true, a))) throw new io.nnzip.ir.NnzipException("SVD did not converge");
        DMatrixRMaj u = d.getU(null, false), w = d.getW(null), v = d.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int q = Math.min(rows, cols);
        double[] s = new double[q];
        for (int i = 0; i < q; i++) s[i] = w.get(i, i);
        return new TruncatedSvd(rows, cols, s, leftCols(u, q), leftCols(v, q));
    }

    private static double[] leftCols(DMatrixRMaj m, int q) {
        double[] out = new double[m.numRows * q];
        for (int i = 0; i < m.numRows; i++) for (int j = 0; j < q; j++) out[i * q + j] = m.get(i, j);
        return out;
    }

    public int q() { return s.length; }

    public double totalEnergy() {
        double t = 0;
        for (double x : s) t += x * x;
        return t;
    }

    /** Σ_{i ≥ k} s_i²: the squared Frobenius error of the rank-k truncation. */
    public double tailEnergy(int k) {
        double t = 0;
        for (int i = Math.max(0, k); i < s.length; i++) t += s[i] * s[i];
        return t;
    }

    /** The smallest rank whose truncation error² is at most {@code maxTail} (at least 1). */
    public int rankForTail(double maxTail) {
        int k = s.length;
        while (k > 1 && tailEnergy(k - 1) <= maxTail) k--;
        return k;
    }

    public double u(int i, int j) { return u[i * s.length + j]; }

    public double v(int i, int j) { return v[i * s.length + j]; }
}
