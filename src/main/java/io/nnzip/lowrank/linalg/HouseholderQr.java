package io.nnzip.lowrank.linalg;

/**
 * Thin QR by Householder reflections: A (m×n, m ≥ n) = Q (m×n, orthonormal columns) · R (n×n, upper
 * triangular). Used to shrink a tall matrix to its n×n triangle before the SVD, and for least squares.
 */
public final class HouseholderQr {
    public final Matrix q, r;

    private HouseholderQr(Matrix q, Matrix r) {
        this.q = q;
        this.r = r;
    }

    public static HouseholderQr of(Matrix a) {
        int m = a.rows, n = a.cols;
        if (m < n) throw new IllegalArgumentException("QR needs rows >= cols, got " + m + "x" + n);
        double[] w = a.a.clone();
        double[][] vs = new double[n][];
        for (int k = 0; k < n; k++) {
            // reflector v maps column k below the diagonal onto -sign(x0)·|x|·e_k
            double norm = 0;
            for (int i = k; i < m; i++) norm += w[i * n + k] * w[i * n + k];
            norm = Math.sqrt(norm);
            double[] v = new double[m - k];
            if (norm == 0) {
                vs[k] = v;
                continue;
            }
            double x0 = w[k * n + k];
            double alpha = x0 >= 0 ? -norm : norm;
            for (int i = k; i < m; i++) v[i - k] = w[i * n + k];
            v[0] -= alpha;
            double vn = 0;
            for (double x : v) vn += x * x;
            if (vn == 0) {
                vs[k] = new double[m - k];
                continue;
            }
            double scale = 1 / Math.sqrt(vn);
            for (int i = 0; i < v.length; i++) v[i] *= scale;
            vs[k] = v;
            for (int j = k; j < n; j++) {
                double d = 0;
                for (int i = k; i < m; i++) d += v[i - k] * w[i * n + j];
                d *= 2;
                for (int i = k; i < m; i++) w[i * n + j] -= d * v[i - k];
            }
        }
        Matrix r = new Matrix(n, n);
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) r.a[i * n + j] = w[i * n + j];
        // Q = H_0 H_1 … H_{n-1} applied to the first n columns of the identity, back to front
        double[] q = new double[m * n];
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        for (int k = n - 1; k >= 0; k--) {
            double[] v = vs[k];
            for (int j = 0; j < n; j++) {
                double d = 0;
                for (int i = k; i < m; i++) d += v[i - k] * q[i * n + j];
                if (d == 0) continue;
                d *= 2;
                for (int i = k; i < m; i++) q[i * n + j] -= d * v[i - k];
            }
        }
        return new HouseholderQr(new Matrix(m, n, q), r);
    }

    /** Least-squares solution x of A·x ≈ b for every column of b (A full column rank). */
    public Matrix solve(Matrix b) {
        Matrix y = q.transpose().times(b);
        int n = r.cols;
        Matrix x = new Matrix(n, b.cols);
        for (int c = 0; c < b.cols; c++)
            for (int i = n - 1; i >= 0; i--) {
                double s = y.get(i, c);
                for (int j = i + 1; j < n; j++) s -= r.get(i, j) * x.get(j, c);
                double d = r.get(i, i);
                x.set(i, c, d == 0 ? 0 : s / d);
            }
        return x;
    }
}
