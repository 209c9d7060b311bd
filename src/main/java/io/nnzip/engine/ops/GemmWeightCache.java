package io.nnzip.engine.ops;

import io.nnzip.engine.kernels.PackedB;
import io.nnzip.engine.kernels.SparseWeights;
import io.nnzip.engine.kernels.WeightForms;

/**
 * Packed copies of Gemm right-hand operands, so inference on a fixed model packs each weight matrix once. Weights may
 * change in place between calls (an optimizer updates initializer arrays): an entry is reused only while the array's
 * contents are unchanged ({@link WeightForms}; the CNN's 1152×256 weights and their copy are 2.4 MB, so they are
 * compared only after a weight write, not on every pass).
 */
final class GemmWeightCache {
    /** Smaller operands repack faster than the cache pays back in memory. */
    static final int MIN_FLOATS = 1 << 14;

    /**
     * How B was read when packed, and whether the sparse kernels were switched on then (a packing exists only because
     * the sparsity look-up chose the dense kernel).
     */
    private record Layout(boolean transB, int off, int ldb, int k, int n, boolean sparseEnabled) {}

    private static final WeightForms<PackedB> FORMS = new WeightForms<>();

    private GemmWeightCache() {}

    /**
     * The cached packing when B's layout and contents are unchanged since it was packed, with the sparse kernels
     * switched as they were then, else null.
     */
    static PackedB ifUnchanged(boolean transB, float[] b, int off, int ldb, int k, int n) {
        return FORMS.cached(b, 0, b.length, new Layout(transB, off, ldb, k, n, SparseWeights.enabled));
    }

    /** op(B) packed, from the cache when B's layout and contents are unchanged since it was packed. */
    static PackedB packed(boolean transB, float[] b, int off, int ldb, int k, int n) {
        return FORMS.get(b, 0, b.length, new Layout(transB, off, ldb, k, n, SparseWeights.enabled), () -> PackedB.pack(transB, b, off, ldb, k, n));
    }
}
