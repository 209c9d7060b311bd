package io.nnzip.prune.criteria;

/** Numerical rank of a small dense matrix by Gaussian elimination with partial pivoting (HRank's feature-map rank). */
final class MatrixRank {
    private MatrixRank() {}

    // a: (rows, cols) row-major at offset off
    static int of(float[] a, int off, int rows, int cols) {
        double[][] m = new double[rows][cols];
        double max = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                m[r][c] = a[off + r * cols + c];
                max = Math.max(max, Math.abs(m[r][c]));
            }
        if (max == 0) return 0;
        // numpy.linalg.matrix_rank's default tolerance, with the largest entry standing in for the top singular value
        double tol = max * Math.max(rows, cols) * 1e-6;
        int rank = 0;
        for (int c = 0; c < cols && rank < rows; c++) {
            int piv = rank;
            for (int r = rank + 1; r < rows; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
            if (Math.abs(m[piv][c]) <= tol) continue;
            double[] t = m[piv];
            m[piv] = m[rank];
            m[rank] = t;
            for (int r = rank + 1; r < rows; r++) {
                double f = m[r][c] / m[rank][c];
                if (f == 0) continue;
                for (int k = c; k < cols; k++) m[r][k] -= f * m[rank][k];
            }
            rank++;
        }
        return rank;
    }
}
