package io.nnzip.util.linalg;

import io.nnzip.ir.NnzipException;
import java.util.Arrays;
import java.util.Comparator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Eigen-decomposition of a symmetric matrix by EJML: S = V · diag(values) · Vᵀ, eigenvalues in descending order and
 * V's columns the matching orthonormal eigenvectors.
 */
public final class SymmetricEigen {
    public final double[] values;
    public final Matrix vectors;

    private SymmetricEigen(double[] values, Matrix vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /** {@code s} is left as it is. */
    public static SymmetricEigen of(Matrix s) {
        int n = s.rows;
        if (s.cols != n) throw new IllegalArgumentException("eigen-decomposition needs a square matrix, got " + s);
        EigenDecomposition_F64<DMatrixRMaj> d = DecompositionFactory_DDRM.eig(n, true, true);
        if (!d.decompose(new DMatrixRMaj(n, n, true, s.a)))
            throw new NnzipException("eigen-decomposition of a " + n + "x" + n + " matrix did not converge (non-finite values?)");
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        double[] raw = new double[n];
        for (int i = 0; i < n; i++) raw[i] = d.getEigenvalue(i).real;
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> raw[i]).reversed());
        double[] vals = new double[n];
        Matrix vec = new Matrix(n, n);
        for (int c = 0; c < n; c++) {
            vals[c] = raw[idx[c]];
            DMatrixRMaj e = d.getEigenVector(idx[c]);
            for (int r = 0; r < n; r++) vec.a[r * n + c] = e.get(r, 0);
        }
        return new SymmetricEigen(vals, vec);
    }
}
