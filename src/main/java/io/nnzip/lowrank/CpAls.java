package io.nnzip.lowrank;

import io.nnzip.util.linalg.Cholesky;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import java.util.SplittableRandom;

/**
 * Rank-R CP (CANDECOMP/PARAFAC) decomposition of a 4-way kernel by alternating least squares:
 * W[n,c,i,j] ≈ Σ_q A[n,q]·B[c,q]·Y[i,q]·X[j,q]. Each step solves one factor exactly with the others fixed:
 * F = MTTKRP(W, others) · (⊛ of the others' Gram matrices)⁻¹. Factors start from each mode's leading singular
 * vectors (random Gaussian columns beyond the mode's size), so results are deterministic for a seed. At the end
 * the columns are rebalanced to equal norms across the four factors, which keeps float32 weights well scaled.
 */
public final class CpAls {
    /** factors[m] is dims[m] × rank. */
    public final Matrix[] factors;
    public final double relativeError;
    public final int iterations;

    private CpAls(Matrix[] factors, double relativeError, int iterations) {
        this.factors = factors;
        this.relativeError = relativeError;
        this.iterations = iterations;
    }

    public static CpAls of(double[] w, int[] dims, int rank, int maxIter, double tol, long seed) {
        int modes = dims.length;
        if (modes != 4) throw new IllegalArgumentException("CP of a conv kernel needs 4 modes");
        SplittableRandom rnd = new SplittableRandom(seed);
        Matrix[] f = new Matrix[modes];
        for (int m = 0; m < modes; m++) f[m] = init(w, dims, m, rank, rnd);
        double norm2 = 0;
        for (double v : w) norm2 += v * v;
        double prevErr = Double.MAX_VALUE, err = 1;
        int it = 0;
        for (; it < maxIter; it++) {
            Matrix lastM = null;
            for (int m = 0; m < modes; m++) {
                Matrix v = hadamardOfGrams(f, m, rank);
                lastM = mttkrp(w, dims, f, m, rank);
                f[m] = Cholesky.solve(v, lastM.transpose(), 1e-10).transpose();
            }
            // ‖W − Ŵ‖² = ‖W‖² − 2⟨W,Ŵ⟩ + ‖Ŵ‖², with ⟨W,Ŵ⟩ from the last mode's MTTKRP
            double inner = 0;
            for (int i = 0; i < lastM.a.length; i++) inner += lastM.a[i] * f[modes - 1].a[i];
            Matrix all = hadamardOfGrams(f, -1, rank);
            double model2 = 0;
            for (double x : all.a) model2 += x;
            err = Math.sqrt(Math.max(0, norm2 - 2 * inner + model2) / Math.max(norm2, 1e-300));
            if (Math.abs(prevErr - err) < tol * Math.max(err, 1e-12)) {
                it++;
                break;
            }
            prevErr = err;
        }
        balance(f, rank);
        return new CpAls(f, relativeError(w, dims, f, rank), it);
    }

    private static Matrix init(double[] w, int[] dims, int mode, int rank, SplittableRandom rnd) {
        Matrix unf = unfold(w, dims, mode);
        Svd svd = Svd.of(unf);
        Matrix out = new Matrix(dims[mode], rank);
        int have = Math.min(rank, svd.u.cols);
        for (int i = 0; i < dims[mode]; i++)
            for (int q = 0; q < rank; q++)
                out.set(i, q, q < have ? svd.u.get(i, q) : gaussian(rnd) / Math.sqrt(dims[mode]));
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    static Matrix unfold(double[] w, int[] dims, int mode) {
        int n = dims[mode], total = w.length;
        Matrix m = new Matrix(n, total / n);
        int[] idx = new int[4];
        int[] col = new int[n];
        for (int e = 0; e < total; e++) {
            int rem = e;
            for (int d = 3; d >= 0; d--) {
                idx[d] = rem % dims[d];
                rem /= dims[d];
            }
            int row = idx[mode];
            m.a[row * m.cols + col[row]++] = w[e];
        }
        return m;
    }

    /** Elementwise product of FᵀF over all modes except {@code skip} (-1 skips none). */
    static Matrix hadamardOfGrams(Matrix[] f, int skip, int rank) {
        Matrix v = new Matrix(rank, rank);
        java.util.Arrays.fill(v.a, 1);
        for (int m = 0; m < f.length; m++) {
            if (m == skip) continue;
            Matrix g = f[m].gram();
            for (int i = 0; i < v.a.length; i++) v.a[i] *= g.a[i];
        }
        return v;
    }

    /** M[i_m, q] = Σ over the other indices of W · Π_{o≠m} F_o[i_o, q]. */
    static Matrix mttkrp(double[] w, int[] dims, Matrix[] f, int mode, int rank) {
        Matrix out = new Matrix(dims[mode], rank);
        double[] prod = new double[rank];
        int d0 = dims[0], d1 = dims[1], d2 = dims[2], d3 = dims[3];
        int[] idx = new int[4];
        for (idx[0] = 0; idx[0] < d0; idx[0]++)
            for (idx[1] = 0; idx[1] < d1; idx[1]++)
                for (idx[2] = 0; idx[2] < d2; idx[2]++)
                    for (idx[3] = 0; idx[3] < d3; idx[3]++) {
                        double x = w[((idx[0] * d1 + idx[1]) * d2 + idx[2]) * d3 + idx[3]];
                        if (x == 0) continue;
                        java.util.Arrays.fill(prod, x);
                        for (int o = 0; o < 4; o++) {
                            if (o == mode) continue;
                            int off = idx[o] * rank;
                            double[] fa = f[o].a;
                            for (int q = 0; q < rank; q++) prod[q] *= fa[off + q];
                        }
                        int off = idx[mode] * rank;
                        for (int q = 0; q < rank; q++) out.a[off + q] += prod[q];
                    }
        return out;
    }

    private static void balance(Matrix[] f, int rank) {
        for (int q = 0; q < rank; q++) {
            double[] norms = new double[f.length];
            double prod = 1;
            for (int m = 0; m < f.length; m++) {
                double s = 0;
                for (int i = 0; i < f[m].rows; i++) s += f[m].get(i, q) * f[m].get(i, q);
                norms[m] = Math.sqrt(s);
                prod *= norms[m];
            }
            if (prod == 0) continue;
            double target = Math.pow(prod, 1.0 / f.length);
            for (int m = 0; m < f.length; m++) for (int i = 0; i < f[m].rows; i++) f[m].set(i, q, f[m].get(i, q) * target / norms[m]);
        }
    }

    /** Ŵ from the factors, in W's layout. */
    public static double[] reconstruct(int[] dims, Matrix[] f, int rank) {
        double[] out = new double[dims[0] * dims[1] * dims[2] * dims[3]];
        int e = 0;
        for (int a = 0; a < dims[0]; a++)
            for (int b = 0; b < dims[1]; b++)
                for (int c = 0; c < dims[2]; c++)
                    for (int d = 0; d < dims[3]; d++) {
                        double s = 0;
                        for (int q = 0; q < rank; q++) s += f[0].get(a, q) * f[1].get(b, q) * f[2].get(c, q) * f[3].get(d, q);
                        out[e++] = s;
                    }
        return out;
    }

    static double relativeError(double[] w, int[] dims, Matrix[] f, int rank) {
        return TuckerConvFactorizer.relativeError(reconstruct(dims, f, rank), w);
    }
}
