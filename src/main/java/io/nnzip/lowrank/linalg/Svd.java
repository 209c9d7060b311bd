package io.nnzip.lowrank.linalg;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Thin singular value decomposition A (m×n) = U · diag(s) · Vᵀ, s descending, p = min(m, n) triplets.
 * Method: transpose to tall if needed, Householder QR to an n×n triangle R, then one-sided (Hestenes) Jacobi on
 * R, which orthogonalizes R's columns by plane rotations; column norms are the singular values. One-sided
 * Jacobi keeps small singular values to high relative accuracy, unlike an eigen-decomposition of AᵀA.
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

    public static Svd of(Matrix a) {
        if (a.rows < a.cols) {
            Svd t = of(a.transpose());
            return new Svd(t.v, t.s, t.u);
        }
        HouseholderQr qr = HouseholderQr.of(a);
        int n = a.cols;
        // columns of R stored contiguously: col[j][i] = R[i][j]
        double[][] col = new double[n][n];
        double[][] vcol = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) col[j][i] = qr.r.get(i, j);
            vcol[j][j] = 1;
        }
        for (int sweep = 0; sweep < 60; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++) {
                    double[] cp = col[p], cq = col[q];
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < n; i++) {
                        alpha += cp[i] * cp[i];
                        beta += cq[i] * cq[i];
                        gamma += cp[i] * cq[i];
                    }
                    if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma == 0) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) t = 1;
                    double c = 1 / Math.sqrt(1 + t * t), sn = c * t;
                    rotate(cp, cq, c, sn);
                    rotate(vcol[p], vcol[q], c, sn);
                }
            if (!rotated) break;
        }
        double[] norms = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (double x : col[j]) s += x * x;
            norms[j] = Math.sqrt(s);
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> norms[i]).reversed());
        double[] sv = new double[n];
        Matrix ur = new Matrix(n, n), vm = new Matrix(n, n);
        for (int c = 0; c < n; c++) {
            int j = idx[c];
            sv[c] = norms[j];
            for (int i = 0; i < n; i++) {
                ur.a[i * n + c] = norms[j] > 0 ? col[j][i] / norms[j] : 0;
                vm.a[i * n + c] = vcol[j][i];
            }
        }
        fillNullColumns(ur, sv);
        return new Svd(qr.q.times(ur), sv, vm);
    }

    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    /** Columns for zero singular values get any orthonormal completion (Gram-Schmidt against the others). */
    private static void fillNullColumns(Matrix u, double[] s) {
        int n = u.rows;
        for (int c = 0; c < s.length; c++) {
            if (s[c] > 0) continue;
            for (int e = 0; e < n; e++) {
                double[] x = new double[n];
                x[e] = 1;
                for (int k = 0; k < u.cols; k++) {
                    if (k == c || (s[k] == 0 && k > c)) continue;
                    double d = 0;
                    for (int i = 0; i < n; i++) d += u.a[i * u.cols + k] * x[i];
                    for (int i = 0; i < n; i++) x[i] -= d * u.a[i * u.cols + k];
                }
                double nn = 0;
                for (double xi : x) nn += xi * xi;
                if (nn > 1e-6) {
                    nn = Math.sqrt(nn);
                    for (int i = 0; i < n; i++) u.a[i * u.cols + c] = x[i] / nn;
                    break;
                }
            }
        }
    }

    /** Σ s_i² for i ≥ k: the squared Frobenius error of the best rank-k approximation (Eckart–Young). */
    public double tailEnergy(int k) {
        double e = 0;
        for (int i = k; i < s.length; i++) e += s[i] * s[i];
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

    /** U_k · diag(s_k) · V_kᵀ */
    public Matrix reconstruct(int k) {
        Matrix us = u.leftCols(k);
        for (int i = 0; i < us.rows; i++) for (int j = 0; j < k; j++) us.a[i * k + j] *= s[j];
        return us.times(v.leftCols(k).transpose());
    }
}
