package io.nnzip.lowrank.linalg;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: S = V · diag(values) · Vᵀ with
 * eigenvalues sorted in descending order and V's columns the matching orthonormal eigenvectors. Jacobi is slow
 * for large n but accurate to full relative precision, which is what rank selection needs.
 */
public final class SymmetricEigen {
    public final double[] values;
    public final Matrix vectors;

    private SymmetricEigen(double[] values, Matrix vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    public static SymmetricEigen of(Matrix s) {
        int n = s.rows;
        if (s.cols != n) throw new IllegalArgumentException("eigen-decomposition needs a square matrix, got " + s);
        double[] a = s.a.clone();
        double[] v = Matrix.identity(n).a;
        double total = 0;
        for (double x : a) total += x * x;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
            if (off <= 1e-30 * total || off == 0) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    if (Math.abs(apq) < 1e-300) continue;
                    // rotation angle that zeroes a[p][q]: tan(2θ) = 2 a_pq / (a_qq - a_pp)
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), sn = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - sn * akq;
                        a[k * n + q] = sn * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - sn * aqk;
                        a[q * n + k] = sn * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - sn * vkq;
                        v[k * n + q] = sn * vkp + c * vkq;
                    }
                }
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        final double[] diag = new double[n];
        for (int i = 0; i < n; i++) diag[i] = a[i * n + i];
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> diag[i]).reversed());
        double[] vals = new double[n];
        Matrix vec = new Matrix(n, n);
        for (int c = 0; c < n; c++) {
            vals[c] = diag[idx[c]];
            for (int r = 0; r < n; r++) vec.a[r * n + c] = v[r * n + idx[c]];
        }
        return new SymmetricEigen(vals, vec);
    }
}
