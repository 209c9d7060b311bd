package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A pruned weight matrix in compressed rows (CSR) and its product with a dense matrix: Y (rows×m) = W · B (cols×m).
 * Every nonzero w[r][c] adds w·B[c][·] to Y[r][·]: a broadcast FMA over a contiguous B row, so the dense operand is
 * read with full-width vector loads (no gathers) while the accumulators of one output row stay in registers. The
 * work is nnz·m instead of rows·cols·m, which wins once few enough weights are left (see {@link #pays}).
 */
public final class SparseRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Largest density at which the sparse product beats our blocked dense GEMM on the same shapes (measured with
     * SparseBenchMain on the 3-conv CNN and the MLP, 2 threads: the sparse kernel does ~1/4 of the dense kernel's
     * useful FLOPs per second, so it pays below ~25 % density; 0.2 leaves a margin).
     */
    public static final double MAX_DENSITY = 0.2;

    private final int rows, cols;
    private final int[] start, col;
    private final float[] val;

    private SparseRows(int rows, int cols, int[] start, int[] col, float[] val) {
        this.rows = rows;
        this.cols = cols;
        this.start = start;
        this.col = col;
        this.val = val;
    }

    /** Nonzero count of a dense slice (no copy). */
    public static int nonzeros(float[] w, int off, int len) {
        int nz = 0;
        for (int i = off; i < off + len; i++) if (w[i] != 0f) nz++;
        return nz;
    }

    /** Whether a weight of this density is run sparse. */
    public static boolean pays(long nonzeros, long size) { return size > 0 && nonzeros <= MAX_DENSITY * size; }

    /** From a row-major rows×cols dense matrix at {@code off}. */
    public static SparseRows of(float[] w, int off, int rows, int cols) {
        return build(rows, cols, (r, c) -> w[off + r * cols + c]);
    }

    /** From a row-major cols×rows dense matrix (a Gemm's K×N right operand): rows of the result are its columns. */
    public static SparseRows ofTransposed(float[] b, int off, int k, int n) {
        return build(n, k, (r, c) -> b[off + c * n + r]);
    }

    private interface At {
        float get(int r, int c);
    }

    private static SparseRows build(int rows, int cols, At at) {
        int[] start = new int[rows + 1];
        int nz = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) if (at.get(r, c) != 0f) nz++;
            start[r + 1] = nz;
        }
        int[] col = new int[nz];
        float[] val = new float[nz];
        int p = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float v = at.get(r, c);
                if (v != 0f) {
                    col[p] = c;
                    val[p++] = v;
                }
            }
        return new SparseRows(rows, cols, start, col, val);
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    public int nonzeros() { return val.length; }

    /** Row r's nonzeros are at [start[r], start[r + 1]) of {@link #col} and {@link #val} (shared, not copied). */
    int[] start() { return start; }

    int[] col() { return col; }

    float[] val() { return val; }

    /**
     * Y[r·ldy + yOff + j] = (accumulate ? Y : 0) + scale·Σ_c W[r][c]·B[bOff + c·ldb + j] for j &lt; m, rows split
     * over threads when the product is large enough.
     */
    public void multiply(float[] b, int bOff, int ldb, int m, float scale, float[] y, int yOff, int ldy, boolean accumulate, Parallel par) {
        Parallel.Range body = (lo, hi) -> {
            for (int r = lo; r < hi; r++) row(r, b, bOff, ldb, m, scale, y, yOff + r * ldy, accumulate);
        };
        if (par != null && par.threads() > 1 && (long) val.length * m >= Sgemm.PARALLEL_MIN_MACS) par.forChunks(rows, par.threads(), body);
        else body.run(0, rows);
    }

    private void row(int r, float[] b, int bOff, int ldb, int m, float scale, float[] y, int yo, boolean accumulate) {
        int p0 = start[r], p1 = start[r + 1];
        int j = 0;
        // four vectors of one output row in registers across all of the row's nonzeros
        for (; j + 4 * L <= m; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int p = p0; p < p1; p++) {
                FloatVector w = FloatVector.broadcast(S, val[p]);
                int base = bOff + col[p] * ldb + j;
                a0 = FloatVector.fromArray(S, b, base).fma(w, a0);
                a1 = FloatVector.fromArray(S, b, base + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, b, base + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, b, base + 3 * L).fma(w, a3);
            }
            store(a0, scale, y, yo + j, accumulate);
            store(a1, scale, y, yo + j + L, accumulate);
            store(a2, scale, y, yo + j + 2 * L, accumulate);
            store(a3, scale, y, yo + j + 3 * L, accumulate);
        }
        for (; j + L <= m; j += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int p = p0; p < p1; p++) a0 = FloatVector.fromArray(S, b, bOff + col[p] * ldb + j).fma(FloatVector.broadcast(S, val[p]), a0);
            store(a0, scale, y, yo + j, accumulate);
        }
        for (; j < m; j++) {
            float s = 0;
            for (int p = p0; p < p1; p++) s += val[p] * b[bOff + col[p] * ldb + j];
            y[yo + j] = accumulate ? y[yo + j] + scale * s : scale * s;
        }
    }

    private static void store(FloatVector acc, float scale, float[] y, int at, boolean accumulate) {
        FloatVector v = scale == 1f ? acc : acc.mul(scale);
        if (accumulate) v = v.add(FloatVector.fromArray(S, y, at));
        v.intoArray(y, at);
    }
}
