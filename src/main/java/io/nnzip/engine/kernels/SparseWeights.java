package io.nnzip.engine.kernels;

import io.nnzip.ir.WeightWrites;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The compressed-rows form of pruned weights, built once per weight array and reused while its contents are
 * unchanged (an optimizer may update the array in place: a masked weight keeps its zeros, but values move, so a hit
 * needs equal contents). Contents are compared only after a {@link WeightWrites#bump}: while the stamp has not moved
 * since the last compare, the entry is taken as it is. Dense weights are remembered as such, so the density scan is
 * not repeated either.
 */
public final class SparseWeights {
    /** Below this many weights the dense kernel's fixed costs are small and the scan is not worth it. */
    static final int MIN_SIZE = 1 << 12;

    private static final class Entry {
        final int off, rows, cols;
        final boolean transposed;
        final float[] contents;
        final SparseRows sparse;
        /** The {@link WeightWrites} stamp at which {@link #contents} last equalled the array. */
        volatile long checked;

        Entry(int off, int rows, int cols, boolean transposed, float[] contents, SparseRows sparse, long checked) {
            this.off = off;
            this.rows = rows;
            this.cols = cols;
            this.transposed = transposed;
            this.contents = contents;
            this.sparse = sparse;
            this.checked = checked;
        }
    }

    private static final Map<float[], Entry> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

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
        // read before the compare: a write racing with it bumps past this stamp and forces the next caller to compare
        long epoch = WeightWrites.epoch();
        Entry e = CACHE.get(w);
        if (e != null && e.off == off && e.rows == rows && e.cols == cols && e.transposed == transposed) {
            if (e.checked == epoch) return e.sparse;
            if (Arrays.equals(e.contents, 0, (int) size, w, off, (int) (off + size))) {
                e.checked = epoch;
                return e.sparse;
            }
        }
        int nz = SparseRows.nonzeros(w, off, (int) size);
        SparseRows s = !SparseRows.pays(nz, size) ? null : transposed ? SparseRows.ofTransposed(w, off, cols, rows) : SparseRows.of(w, off, rows, cols);
        // only the operand's own range is kept: the array may hold other tensors (a training pool)
        CACHE.put(w, new Entry(off, rows, cols, transposed, Arrays.copyOfRange(w, off, (int) (off + size)), s, epoch));
        return s;
    }
}
