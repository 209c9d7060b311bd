package io.nnzip.engine.ops;

import io.nnzip.engine.kernels.PackedB;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.ir.WeightWrites;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Packed copies of Gemm right-hand operands, so inference on a fixed model packs each weight matrix once.
 * Weights may change in place between calls (an optimizer updates initializer arrays), so an entry is keyed by the
 * array's identity and also keeps a copy of the contents it was packed from: a hit is only taken when the contents
 * still match exactly (a vectorised compare, far cheaper than repacking). The compare runs only after a
 * {@link WeightWrites#bump} (as in {@link SparseWeights}): reading the CNN's 1152×256 weights and their copy (2.4 MB)
 * on every pass was serial work on the caller, from memory when the pass follows a pause. Arrays are held weakly.
 */
final class GemmWeightCache {
    /** Smaller operands repack faster than the cache pays back in memory. */
    static final int MIN_FLOATS = 1 << 14;

    /** {@code checked[0]}: the {@link WeightWrites} stamp at which {@code contents} last equalled the array. */
    private record Entry(boolean transB, int off, int ldb, int k, int n, float[] contents, PackedB packed, boolean sparseEnabled, long[] checked) {
        /**
         * Packed from this layout of {@code b}, whose contents have not changed since: unchecked while the stamp is
         * {@code epoch}, else compared (last: it reads the whole array).
         */
        boolean holds(boolean transB, float[] b, int off, int ldb, int k, int n, long epoch) {
            if (this.transB != transB || this.off != off || this.ldb != ldb || this.k != k || this.n != n) return false;
            if (checked[0] == epoch) return true;
            if (!Arrays.equals(contents, b)) return false;
            checked[0] = epoch;
            return true;
        }
    }

    private static final Map<float[], Entry> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private GemmWeightCache() {}

    /**
     * The cached packing when B's layout and contents are unchanged since it was packed, with the sparse kernels
     * switched as they were then (it was packed only because the sparsity look-up chose the dense kernel), else null.
     */
    static PackedB ifUnchanged(boolean transB, float[] b, int off, int ldb, int k, int n) {
        // read before the compare: a write racing with it bumps past this stamp and forces the next caller to compare
        long epoch = WeightWrites.epoch();
        Entry e = CACHE.get(b);
        return e != null && e.sparseEnabled == SparseWeights.enabled && e.holds(transB, b, off, ldb, k, n, epoch) ? e.packed : null;
    }

    /** op(B) packed, from the cache when B's layout and contents are unchanged since it was packed. */
    static PackedB packed(boolean transB, float[] b, int off, int ldb, int k, int n) {
        long epoch = WeightWrites.epoch();
        Entry e = CACHE.get(b);
        if (e != null && e.holds(transB, b, off, ldb, k, n, epoch)) return e.packed;
        PackedB p = PackedB.pack(transB, b, off, ldb, k, n);
        CACHE.put(b, new Entry(transB, off, ldb, k, n, b.clone(), p, SparseWeights.enabled, new long[] {epoch}));
        return p;
    }
}
