package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of float lanes in one fixed order of adds, the same interpreted and compiled. {@code reduceLanes(ADD)} leaves
 * the order to the implementation: HotSpot's Java fallback adds lane by lane, its C2 intrinsic as a tree, so a
 * kernel's result (and a training run) used to depend on when the JIT compiled it.
 * <p>
 * The order is a butterfly: lane i gets lane i ^ h added for h = L/2, L/4, …, 1, using only lane-wise adds and
 * exact lane moves (rearrange, blend). {@link #fold} does the first step for two vectors at once, so a kernel with
 * several accumulators reduces them together and pays one tree, not one per accumulator. Methods are kept short
 * so C2 inlines them into the kernels (a call that is not inlined boxes its vectors).
 * Vector lengths other than 4, 8 and 16 add the lanes from an array in the same butterfly order.
 */
public final class LaneSum {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** X_k swaps lane i with i ^ (L >> k); M_k marks the lanes with that bit set (null where L is too short). */
    public static final VectorShuffle<Float> X1 = swap(L >> 1), X2 = swap(L >> 2), X3 = swap(L >> 3), X4 = swap(L >> 4);
    public static final VectorMask<Float> M1 = high(L >> 1), M2 = high(L >> 2), M3 = high(L >> 3), M4 = high(L >> 4);
    private static final boolean TREE = L == 4 || L == 8 || L == 16;

    private LaneSum() {}

    /** Σ lanes of v. */
    public static float of(FloatVector v) {
        return TREE ? last(step(v, X1)).lane(0) : byArray(v, 0);
    }

    /** Both sums in one tree: lane 0 holds Σa, lane L/2 holds Σb (read them with {@link #first}, {@link #second}). */
    public static FloatVector two(FloatVector a, FloatVector b) {
        return TREE ? last(fold(a, b, X1, M1)) : FloatVector.zero(S).withLane(0, byArray(a, 0)).withLane(L >> 1, byArray(b, 0));
    }

    /** Four sums in one tree: Σa at lane 0, Σb at L/2, Σc at L/4, Σd at 3L/4 (L ≥ 4; {@link #lane4}). */
    public static FloatVector four(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        if (!TREE)
            return FloatVector.zero(S).withLane(0, byArray(a, 0)).withLane(L >> 1, byArray(b, 0))
                    .withLane(L >> 2, byArray(c, 0)).withLane(3 * L >> 2, byArray(d, 0));
        FloatVector v = fold(fold(a, b, X1, M1), fold(c, d, X1, M1), X2, M2);
        if (L >= 8) v = step(v, X3);
        if (L >= 16) v = step(v, X4);
        return v;
    }

    /**
     * The sums of {@code count} vectors stored one after another in acc (count a power of two, at least L), in place,
     * one tree level per loop: the sum of vector k ends up at {@code acc[stored(k, count)]}. Kernels with many
     * accumulators store them and call this rather than fold them inline, where C2's node budget for the kernel runs
     * out (NodeCountInliningCutoff) and the folds left out box their vectors.
     */
    public static void ofStored(float[] acc, int count) {
        if (!TREE) {
            float[] sums = new float[count];
            for (int k = 0; k < count; k++) sums[k] = byArray(FloatVector.fromArray(S, acc, k * L), 0);
            for (int k = 0; k < count; k++) acc[stored(k, count)] = sums[k];
            return;
        }
        // the shuffles and masks named here, not passed in, so each fold is compiled with constants
        int n = count >> 1;
        for (int v = 0; v < n; v++) fold(FloatVector.fromArray(S, acc, v * L), FloatVector.fromArray(S, acc, (v + n) * L), X1, M1).intoArray(acc, v * L);
        n >>= 1;
        for (int v = 0; v < n; v++) fold(FloatVector.fromArray(S, acc, v * L), FloatVector.fromArray(S, acc, (v + n) * L), X2, M2).intoArray(acc, v * L);
        if (L >= 8) {
            n >>= 1;
            for (int v = 0; v < n; v++) fold(FloatVector.fromArray(S, acc, v * L), FloatVector.fromArray(S, acc, (v + n) * L), X3, M3).intoArray(acc, v * L);
        }
        if (L >= 16) {
            n >>= 1;
            for (int v = 0; v < n; v++) fold(FloatVector.fromArray(S, acc, v * L), FloatVector.fromArray(S, acc, (v + n) * L), X4, M4).intoArray(acc, v * L);
        }
    }

    /** Where {@link #ofStored} leaves the sum of vector k: vector k mod (count/L), lane k / (count/L). */
    public static int stored(int k, int count) {
        int m = Math.max(1, count / L);
        return k % m * L + k / m;
    }

    public static float first(FloatVector sums) { return sums.lane(0); }

    public static float second(FloatVector sums) { return sums.lane(L >> 1); }

    /** The k-th sum of {@link #four} (k = 0..3 for a, b, c, d). */
    public static int lane4(int k) { return ((k & 1) * (L >> 1)) | ((k >> 1) * (L >> 2)); }

    /**
     * One tree step for two vectors: lanes without bit h (of mask m) hold a[i] + a[i ^ h], lanes with it b[i] + b[i ^ h].
     * Two vectors of partial sums become one, so k accumulators need k − 1 folds and then one vector's remaining steps.
     */
    public static FloatVector fold(FloatVector a, FloatVector b, VectorShuffle<Float> x, VectorMask<Float> m) {
        return a.blend(b, m).add(b.blend(a, m).rearrange(x));
    }

    /** v[i] + v[i ^ h]. */
    public static FloatVector step(FloatVector v, VectorShuffle<Float> x) { return v.add(v.rearrange(x)); }

    /** The steps after the first (h = L/4 … 1); lane 0 then holds the sum of lanes [0, L/2), lane L/2 that of [L/2, L). */
    private static FloatVector last(FloatVector v) {
        v = step(v, X2);
        if (L >= 8) v = step(v, X3);
        return L >= 16 ? step(v, X4) : v;
    }

    /** The butterfly's order on an array, for vector lengths without a tree here (lane {@code lane}'s sum: all equal). */
    static float byArray(FloatVector v, int lane) {
        float[] a = v.toArray();
        for (int h = a.length >> 1; h >= 1; h >>= 1) {
            float[] b = new float[a.length];
            for (int i = 0; i < a.length; i++) b[i] = a[i] + a[i ^ h];
            a = b;
        }
        return a[lane];
    }

    private static VectorShuffle<Float> swap(int h) {
        return h < 1 ? null : VectorShuffle.fromOp(S, i -> i ^ h);
    }

    private static VectorMask<Float> high(int h) {
        if (h < 1) return null;
        boolean[] bits = new boolean[L];
        for (int i = 0; i < L; i++) bits[i] = (i & h) != 0;
        return VectorMask.fromArray(S, bits, 0);
    }
}
