package io.nnzip.engine.kernels;

/**
 * The compressed-rows form of pruned weights, built once per weight array and reused while its contents are
 * unchanged ({@link WeightForms}: an optimizer may update the array in place, and a masked weight keeps its zeros but
 * its values move). Dense weights are remembered as such, so the density scan is not repeated either.
 */
public final class SparseWeights {
    /** Below this many weights the dense kernel's fixed costs are small and the scan is not worth it. */
    public static final int MIN_SIZE = 1 << 12;

    /** What a form depends on besides the range: its shape and whether it is the operand's transpose. */
    private record Layout(int rows, int cols, boolean transposed) {}

    private static final WeightForms<SparseRows> FORMS = new WeightForms<>();

    /** Off switch for measurements and tests: the engine runs every layer dense. */
    public static volatile boolean enabled = !Boolean.getBoolean("nnzip.dense");

    private SparseWeights() {}

    /** rows×cols row-major weights at {@code off} in CSR, or null where the dense kernel is faster. */
    public static SparseRows rows(float[] w, int off, int rows, int cols) { return get(w, off, rows, cols, false); }

    /** A K×N row-major right operand as N rows of K, or null where the dense kernel is faster. */
    public static SparseRows columns(float[] b, int off, int k, int n) { return get(b, off, n, k, true); }

    private static SparseRows get(float[] w, int off, int rows, int cols, boolean transposed) {
        long size = (long) rows * cols;
        if (!enabled || size < MIN_SIZE || off + size > w.length) return null;
        // only the operand's own range is kept: the array may hold other tensors (a training pool)
        return FORMS.get(w, off, (int) size, new Layout(rows, cols, transposed), () -> {
            int nz = SparseRows.nonzeros(w, off, (int) size);
            return !SparseRows.pays(nz, size) ? null : transposed ? SparseRows.ofTransposed(w, off, cols, rows) : SparseRows.of(w, off, rows, cols);
        });
    }
}
