package io.nnzip.util.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Solves S·X = B for symmetric positive (semi-)definite S, as in normal equations of least squares, by EJML's
 * Cholesky. A relative ridge {@code lambda·trace(S)/n} is added to the diagonal so that rank-deficient systems (dead
 * channels, collinear calibration features) still give a bounded answer; where S + ridge is still not positive
 * definite (lambda 0 on a singular S, an all-zero S) the minimum-norm solution by pseudo-inverse is returned.
 */
public final class Cholesky {
    private Cholesky() {}

    public static Matrix solve(Matrix s, Matrix b, double lambda) {
        int n = s.rows;
        double tr = 0;
        for (int i = 0; i < n; i++) tr += s.a[i * n + i];
        double ridge = lambda * Math.max(tr / Math.max(n, 1), 1e-300);
        DMatrixRMaj a = new DMatrixRMaj(n, n, true, s.a);
        for (int i = 0; i < n; i++) a.add(i, i, ridge);
        DMatrixRMaj x = new DMatrixRMaj(n, b.cols);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(n);
        // setA may overwrite its argument: the pseudo-inverse gets a fresh copy
        if (chol.setA(a.copy())) {
            chol.solve(new DMatrixRMaj(b.rows, b.cols, true, b.a), x);
        } else {
            LinearSolverDense<DMatrixRMaj> pinv = LinearSolverFactory_DDRM.pseudoInverse(true);
            pinv.setA(a);
            pinv.solve(new DMatrixRMaj(b.rows, b.cols, true, b.a), x);
        }
        return new Matrix(n, b.cols, x.data);
    }
}
