package io.nnzip.lowrank;

import io.nnzip.util.linalg.Matrix;
import io.nnzip.util.linalg.Svd;

/**
 * Tucker-2 decomposition of a convolution kernel on its output and input channel modes:
 * W[n,c,i,j] ≈ Σ_{a,b} U_out[n,a]·U_in[c,b]·G[a,b,i,j]. Factors start from the truncated HOSVD (leading left
 * singular vectors of each mode's unfolding) and are refined by a few HOOI sweeps (each factor re-fit to the
 * kernel projected on the other); the core is then the projection of W on both factors.
 */
public final class Tucker2 {
    public final Matrix uOut, uIn;
    /** (rOut, rIn, R, S), row-major. */
    public final double[] core;

    private Tucker2(Matrix uOut, Matrix uIn, double[] core) {
        this.uOut = uOut;
        this.uIn = uIn;
        this.core = core;
    }

    /** Mode-0 unfolding, K × (C·R·S): W's natural layout. */
    static Matrix unfoldOut(double[] w, int k, int c, int rs) { return new Matrix(k, c * rs, w.clone()); }

    /** Mode-1 unfolding, C × (K·R·S). */
    static Matrix unfoldIn(double[] w, int k, int c, int rs) {
        Matrix m = new Matrix(c, k * rs);
        for (int n = 0; n < k; n++)
            for (int ch = 0; ch < c; ch++) System.arraycopy(w, (n * c + ch) * rs, m.a, ch * k * rs + n * rs, rs);
        return m;
    }

    /** w ×₀ aᵀ ×₁ bᵀ: (K,C,RS) -> (a.cols, b.cols, RS). */
    static double[] project(double[] w, int k, int c, int rs, Matrix a, Matrix b) {
        int ra = a.cols, rb = b.cols;
        // first over c: t[n, b, x] = Σ_c B[c,b] w[n,c,x]
        double[] t = new double[k * rb * rs];
        for (int n = 0; n < k; n++)
            for (int ch = 0; ch < c; ch++)
                for (int bb = 0; bb < rb; bb++) {
                    double f = b.get(ch, bb);
                    if (f == 0) continue;
                    int src = (n * c + ch) * rs, dst = (n * rb + bb) * rs;
                    for (int x = 0; x < rs; x++) t[dst + x] += f * w[src + x];
                }
        double[] out = new double[ra * rb * rs];
        for (int n = 0; n < k; n++)
            for (int aa = 0; aa < ra; aa++) {
                double f = a.get(n, aa);
                if (f == 0) continue;
                int src = n * rb * rs, dst = aa * rb * rs;
                for (int x = 0; x < rb * rs; x++) out[dst + x] += f * t[src + x];
            }
        return out;
    }

    public static Tucker2 of(double[] w, int k, int c, int rs, int rOut, int rIn, int hooiSweeps) {
        Matrix uOut = rOut >= k ? Matrix.identity(k) : Svd.of(unfoldOut(w, k, c, rs)).u.leftCols(rOut);
        Matrix uIn = rIn >= c ? Matrix.identity(c) : Svd.of(unfoldIn(w, k, c, rs)).u.leftCols(rIn);
        Matrix idK = Matrix.identity(k), idC = Matrix.identity(c);
        for (int sweep = 0; sweep < hooiSweeps && (rOut < k || rIn < c); sweep++) {
            if (rOut < k) {
                double[] t = project(w, k, c, rs, idK, uIn);
                uOut = Svd.of(new Matrix(k, uIn.cols * rs, t)).u.leftCols(rOut);
            }
            if (rIn < c) {
                double[] t = project(w, k, c, rs, uOut, idC);
                uIn = Svd.of(unfoldIn(t, uOut.cols, c, rs)).u.leftCols(rIn);
            }
        }
        return new Tucker2(uOut, uIn, project(w, k, c, rs, uOut, uIn));
    }

    /** G ×₀ U_out ×₁ U_in, back in (K,C,R,S) layout. */
    public double[] reconstruct(int rs) {
        return project(core, uOut.cols, uIn.cols, rs, uOut.transpose(), uIn.transpose());
    }
}
