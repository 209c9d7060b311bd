package io.nnzip.lowrank.linalg;

/**
 * Solves S·X = B for symmetric positive (semi-)definite S, as in normal equations of least squares. A relative
 * ridge {@code lambda·trace(S)/n} is added to the diagonal so rank-deficient systems (dead channels, collinear
 * calibration features) still give the minimum-norm-like, bounded answer instead of dividing by zero.
 */
public final class Cholesky {
    private Cholesky() {}

    public static Matrix solve(Matrix s, Matrix b, double lambda) {
        int n = s.rows;
        double tr = 0;
        for (int i = 0; i < n; i++) tr += s.a[i * n + i];
        double ridge = lambda * Math.max(tr / Math.max(n, 1), 1e-300);
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double sum = s.a[i * n + j] + (i == j ? ridge : 0);
                for (int k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
                if (i == j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-300));
                else l[i * n + j] = sum / l[j * n + j];
            }
        Matrix x = new Matrix(n, b.cols);
        double[] y = new double[n];
        for (int c = 0; c < b.cols; c++) {
            for (int i = 0; i < n; i++) {
                double sum = b.a[i * b.cols + c];
                for (int k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
                y[i] = sum / l[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--) {
                double sum = y[i];
                for (int k = i + 1; k < n; k++) sum -= l[k * n + i] * x.a[k * b.cols + c];
                x.a[i * b.cols + c] = sum / l[i * n + i];
            }
        }
        return x;
    }
}
