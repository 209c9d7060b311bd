package io.nnzip.engine.kernels;

/**
 * {@link LaneConv}'s depth-major copy of a conv's weights, packed once per weight array and reused while its contents
 * are unchanged ({@link WeightForms}). Packing on every call cost each inference pass a fresh array (295 KB for the
 * CNN's third conv): serial work on the caller while the team waits, plus the page faults and cache misses of memory
 * the JVM hands out fresh.
 * <pre>w: (K, depth) -> packed[(kb·depth + d)·32 + j] = w[(kb·32 + j)·depth + d]</pre>
 */
final class LaneWeights {
    private record Shape(int k, int depth) {}

    private static final WeightForms<float[]> FORMS = new WeightForms<>();

    private LaneWeights() {}

    static float[] packed(float[] w, int k, int depth) {
        return FORMS.get(w, 0, k * depth, new Shape(k, depth), () -> pack(w, k, depth));
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
