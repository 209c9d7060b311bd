package io.nnzip.lowrank;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.lowrank.linalg.Cholesky;
import io.nnzip.lowrank.linalg.HouseholderQr;
import io.nnzip.lowrank.linalg.Matrix;
import io.nnzip.lowrank.linalg.Svd;
import io.nnzip.lowrank.linalg.SymmetricEigen;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The dense kernels checked by their defining properties and by matrices with known spectra. */
class LinalgTest {
    static Matrix random(int m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Matrix a = new Matrix(m, n);
        for (int i = 0; i < a.a.length; i++) a.a[i] = r.nextDouble() * 2 - 1;
        return a;
    }

    /** Q·diag(s)·Pᵀ with Q, P orthonormal from QR of random matrices: a matrix whose singular values are s. */
    static Matrix withSpectrum(int m, int n, double[] s, long seed) {
        Matrix q = HouseholderQr.of(random(m, s.length, seed)).q;
        Matrix p = HouseholderQr.of(random(n, s.length, seed + 1)).q;
        for (int i = 0; i < m; i++) for (int j = 0; j < s.length; j++) q.a[i * s.length + j] *= s[j];
        return q.times(p.transpose());
    }

    @Test
    void qrIsOrthonormalTimesTriangular() {
        Matrix a = random(30, 12, 1);
        HouseholderQr qr = HouseholderQr.of(a);
        assertTrue(qr.q.orthonormalityError() < 1e-12);
        for (int i = 0; i < 12; i++) for (int j = 0; j < i; j++) assertEquals(0, qr.r.get(i, j));
        assertTrue(qr.q.times(qr.r).minus(a).frobenius() < 1e-12 * a.frobenius());
    }

    @Test
    void qrLeastSquaresMatchesNormalEquations() {
        Matrix a = random(40, 5, 2), b = random(40, 2, 3);
        Matrix x = HouseholderQr.of(a).solve(b);
        Matrix x2 = Cholesky.solve(a.gram(), a.transpose().times(b), 0);
        assertTrue(x.minus(x2).frobenius() < 1e-10);
        // residual orthogonal to the column space
        Matrix res = a.times(x).minus(b);
        assertTrue(a.transpose().times(res).frobenius() < 1e-10);
    }

    @Test
    void jacobiEigenFindsKnownSpectrum() {
        double[] lam = {9, 4, 4, 1, -2, 0.5};
        Matrix q = HouseholderQr.of(random(6, 6, 4)).q;
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
