package io.nnzip.util;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.util.linalg.Cholesky;
import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;
import io.nnzip.util.linalg.SymmetricEigen;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The dense kernels checked by their defining properties and by matrices with known spectra. */
public class LinalgTest {
    static Matrix random(int m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Matrix a = new Matrix(m, n);
        for (int i = 0; i < a.a.length; i++) a.a[i] = r.nextDouble() * 2 - 1;
        return a;
    }

    /** k orthonormal columns: a random m×k matrix's columns by modified Gram–Schmidt (written here, independent of EJML). */
    static Matrix orthonormal(int m, int k, long seed) {
        Matrix q = random(m, k, seed);
        for (int j = 0; j < k; j++) {
            for (int p = 0; p < j; p++) {
                double d = 0;
                for (int i = 0; i < m; i++) d += q.get(i, p) * q.get(i, j);
                for (int i = 0; i < m; i++) q.set(i, j, q.get(i, j) - d * q.get(i, p));
            }
            double n = 0;
            for (int i = 0; i < m; i++) n += q.get(i, j) * q.get(i, j);
            n = Math.sqrt(n);
            for (int i = 0; i < m; i++) q.set(i, j, q.get(i, j) / n);
        }
        return q;
    }

    /** Q·diag(s)·Pᵀ with Q, P orthonormal: a matrix whose singular values are s. */
    public static Matrix withSpectrum(int m, int n, double[] s, long seed) {
        Matrix q = orthonormal(m, s.length, seed);
        Matrix p = orthonormal(n, s.length, seed + 1);
        for (int i = 0; i < m; i++) for (int j = 0; j < s.length; j++) q.a[i * s.length + j] *= s[j];
        return q.times(p.transpose());
    }

    @Test
    void singularSystemGetsTheMinimumNormSolution() {
        // diag(2, 0)·x = (4, 3) has no solution; the least-squares one of least norm is (2, 0)
        Matrix s = new Matrix(2, 2, new double[] {2, 0, 0, 0}), b = new Matrix(2, 1, new double[] {4, 3});
        Matrix x = Cholesky.solve(s, b, 0);
        assertEquals(2, x.get(0, 0), 1e-12);
        assertEquals(0, x.get(1, 0), 1e-12);
        // a ridge of 1e-6 · trace/n = 1e-6 goes on the diagonal: the system diag(2 + 1e-6, 1e-6) is solved as it stands
        Matrix r = Cholesky.solve(s, b, 1e-6);
        assertEquals(4 / (2 + 1e-6), r.get(0, 0), 1e-9);
        assertEquals(3 / 1e-6, r.get(1, 0), 1e-3);
    }

    @Test
    void normalEquationsGiveTheLeastSquaresSolution() {
        Matrix a = random(40, 5, 2), b = random(40, 2, 3);
        Matrix x = Cholesky.solve(a.gram(), a.transpose().times(b), 0);
        // the least-squares residual is orthogonal to the column space
        Matrix res = a.times(x).minus(b);
        assertTrue(a.transpose().times(res).frobenius() < 1e-10);
    }

    @Test
    void eigenFindsKnownSpectrum() {
        double[] lam = {9, 4, 4, 1, -2, 0.5};
        Matrix q = orthonormal(6, 6, 4);
        Matrix d = new Matrix(6, 6);
        for (int i = 0; i < 6; i++) d.set(i, i, lam[i]);
        Matrix s = q.times(d).times(q.transpose());
        SymmetricEigen e = SymmetricEigen.of(s);
        double[] sorted = {9, 4, 4, 1, 0.5, -2};
        for (int i = 0; i < 6; i++) assertEquals(sorted[i], e.values[i], 1e-12);
        assertTrue(e.vectors.orthonormalityError() < 1e-12);
        Matrix dv = new Matrix(6, 6);
        for (int i = 0; i < 6; i++) dv.set(i, i, e.values[i]);
        assertTrue(e.vectors.times(dv).times(e.vectors.transpose()).minus(s).frobenius() < 1e-12);
    }

    @Test
    void svdRecoversKnownSingularValuesTallAndWide() {
        double[] s = {10, 5, 2, 1, 1e-3, 1e-7};
        for (int[] mn : new int[][] {{20, 8}, {8, 20}}) {
            Matrix a = withSpectrum(mn[0], mn[1], s, 5);
            Svd svd = Svd.of(a);
            assertEquals(8, svd.s.length);
            for (int i = 0; i < s.length; i++) assertEquals(s[i], svd.s[i], 1e-12 * 10 + 1e-9 * s[i]);
            assertEquals(0, svd.s[6], 1e-12);
            assertTrue(svd.u.orthonormalityError() < 1e-10, "U orthonormal");
            assertTrue(svd.v.orthonormalityError() < 1e-10, "V orthonormal");
            assertTrue(svd.reconstruct(8).minus(a).frobenius() < 1e-12 * 10);
        }
    }

    @Test
    void truncationErrorIsTheDiscardedEnergy() {
        Matrix a = random(50, 30, 6);
        Svd svd = Svd.of(a);
        for (int k : new int[] {1, 5, 17, 29}) {
            double err = svd.reconstruct(k).minus(a).frobenius();
            assertEquals(Math.sqrt(svd.tailEnergy(k)), err, 1e-10 * a.frobenius());
        }
        // singular values squared are the Gram matrix's eigenvalues
        SymmetricEigen e = SymmetricEigen.of(a.gram());
        for (int i = 0; i < 30; i++) assertEquals(e.values[i], svd.s[i] * svd.s[i], 1e-9 * e.values[0]);
    }

    @Test
    void rankForEnergyKeepsEnoughEnergy() {
        Svd svd = Svd.of(withSpectrum(10, 10, new double[] {3, 2, 1, 0.5}, 7));
        // energies 9, 4, 1, .25 of 14.25
        assertEquals(1, svd.rankForEnergy(0.6));
        assertEquals(2, svd.rankForEnergy(13.0 / 14.25));
        assertEquals(3, svd.rankForEnergy(0.95));
        assertEquals(4, svd.rankForEnergy(0.999));
    }
}
