package io.nnzip.util.linalg;

import java.util.Arrays;

/**
 * A dense row-major matrix of doubles, the working type of nnzip's factorizations. Weights are float32 but
 * every decomposition (EJML, {@link Svd}, {@link SymmetricEigen}, {@link Cholesky}) runs in double so that rank choices reflect the weights, not rounding noise.
 */
public final class Matrix {
    public final int rows, cols;
    /** Element (i, j) is {@code a[i * cols + j]}. */
    public final double[] a;

    public Matrix(int rows, int cols) { this(rows, cols, new double[rows * cols]); }

    public Matrix(int rows, int cols, double[] a) {
        if (a.length != rows * cols) throw new IllegalArgumentException(rows + "x" + cols + " matrix needs " + rows * cols + " values, got " + a.length);
        this.rows = rows;
        this.cols = cols;
        this.a = a;
    }

    public static Matrix fromFloats(float[] f, int rows, int cols) {
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return new Matrix(rows, cols, d);
    }

    public static Matrix identity(int n) {
        Matrix m = new Matrix(n, n);
        for (int i = 0; i < n; i++) m.a[i * n + i] = 1;
        return m;
    }

    public double get(int i, int j) { return a[i * cols + j]; }

    public void set(int i, int j, double v) { a[i * cols + j] = v; }

    public float[] toFloats() {
        float[] f = new float[a.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) a[i];
        return f;
    }

    public Matrix copy() { return new Matrix(rows, cols, a.clone()); }

    public Matrix transpose() {
        Matrix t = new Matrix(cols, rows);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t.a[j * rows + i] = a[i * cols + j];
        return t;
    }

    /** this · b */
    public Matrix times(Matrix b) {
        if (cols != b.rows) throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by " + b.rows + "x" + b.cols);
        Matrix c = new Matrix(rows, b.cols);
        for (int i = 0; i < rows; i++) {
            int ci = i * b.cols;
            for (int k = 0; k < cols; k++) {
                double v = a[i * cols + k];
                if (v == 0) continue;
                int bk = k * b.cols;
                for (int j = 0; j < b.cols; j++) c.a[ci + j] += v * b.a[bk + j];
            }
        }
        return c;
    }

    /** thisᵀ · this, the Gram matrix of the columns. */
    public Matrix gram() {
        Matrix g = new Matrix(cols, cols);
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            for (int i = 0; i < cols; i++) {
                double v = a[off + i];
                if (v == 0) continue;
                for (int j = i; j < cols; j++) g.a[i * cols + j] += v * a[off + j];
            }
        }
        for (int i = 0; i < cols; i++) for (int j = 0; j < i; j++) g.a[i * cols + j] = g.a[j * cols + i];
        return g;
    }

    /** The first {@code k} columns. */
    public Matrix leftCols(int k) {
        Matrix m = new Matrix(rows, k);
        for (int i = 0; i < rows; i++) System.arraycopy(a, i * cols, m.a, i * k, k);
        return m;
    }

    /** The first {@code k} rows. */
    public Matrix topRows(int k) { return new Matrix(k, cols, Arrays.copyOf(a, k * cols)); }

    public Matrix minus(Matrix b) {
        Matrix c = copy();
        for (int i = 0; i < a.length; i++) c.a[i] -= b.a[i];
        return c;
    }

    public double frobenius() {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }

    /** Largest |(this ᵀ· this − I)| entry: how far the columns are from orthonormal. */
    public double orthonormalityError() {
        Matrix g = gram();
        double e = 0;
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) e = Math.max(e, Math.abs(g.get(i, j) - (i == j ? 1 : 0)));
        return e;
    }

    @Override
    public String toString() { return "Matrix(" + rows + "x" + cols + ")"; }
}
