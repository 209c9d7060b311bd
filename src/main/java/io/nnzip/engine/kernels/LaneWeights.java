package io.nnzip.engine.kernels;

import io.nnzip.ir.WeightWrites;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@link LaneConv}'s depth-major copy of a conv's weights, packed once per weight array and reused while its contents
 * are unchanged (checked as {@link SparseWeights} does: only after a {@link WeightWrites#bump}). Packing on every
 * call cost each inference pass a fresh array (295 KB for the CNN's third conv): serial work on the caller while the
 * team waits, plus the page faults and cache misses of memory the JVM hands out fresh.
 * <pre>w: (K, depth) -> packed[(kb·depth + d)·32 + j] = w[(kb·32 + j)·depth + d]</pre>
 */
final class LaneWeights {
    private record Entry(int k, int depth, float[] contents, float[] packed, long[] checked) {}

    private static final Map<float[], Entry> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private LaneWeights() {}

    static float[] packed(float[] w, int k, int depth) {
        int size = k * depth;
        // read before the compare: a write racing with it bumps past this stamp and forces the next caller to compare
        long epoch = WeightWrites.epoch();
        Entry e = CACHE.get(w);
        if (e != null && e.k == k && e.depth == depth) {
            if (e.checked[0] == epoch) return e.packed;
            if (Arrays.equals(e.contents, 0, size, w, 0, size)) {
                e.checked[0] = epoch;
                return e.packed;
            }
        }
        float[] p = pack(w, k, depth);
        CACHE.put(w, new Entry(k, depth, Arrays.copyOf(w, size), p, new long[] {epoch}));
        return p;
    }

    static float[] pack(float[] w, int k, int depth) {
        int kb = LaneConv.KB;
        float[] wp = new float[k * depth];
        for (int b = 0; b < k / kb; b++)
            for (int j = 0; j < kb; j++) {
                int src = (b * kb + j) * depth, dst = b * depth * kb + j;
                for (int d = 0; d < depth; d++) wp[dst + d * kb] = w[src + d];
            }
        return wp;
    }
}
