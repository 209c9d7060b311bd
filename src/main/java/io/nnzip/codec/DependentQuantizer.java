package io.nnzip.codec;

/**
 * Dependent (trellis-coded) quantization, format version 5: two scalar quantizers on one grid of step Δ, chosen per
 * weight by a 4-state machine driven by the parity of the previous levels.
 * <pre>
 *   Q0 (states 0, 1):  ŵ = 2q · Δ                    even multiples of Δ
 *   Q1 (states 2, 3):  ŵ = (2q − sgn q) · Δ          zero and the odd multiples of Δ
 *   next state = NEXT[state][q &amp; 1]   NEXT = {{0, 2}, {2, 0}, {1, 3}, {3, 1}}
 * </pre>
 * The state starts at 0 at the beginning of every slice of levels, so slices stay independent. Each quantizer alone
 * has step 2Δ, but the encoder's choice of path (a Viterbi search, {@link io.nnzip.codec.rd.TrellisQuantizer}) lets the
 * union grid of step Δ serve as a denser lattice: at equal rate the error is smaller than one scalar quantizer's.
 * Decoding is a walk through the states, no search.
 */
public final class DependentQuantizer {
    /** NEXT[s][p] packed as 2-bit fields at position 2·(2s + p). */
    private static final int NEXT = 0 | 2 << 2 | 2 << 4 | 0 << 6 | 1 << 8 | 3 << 10 | 3 << 12 | 1 << 14;
    public static final int STATES = 4;

    private DependentQuantizer() {}

    public static int next(int state, int q) { return (NEXT >>> (((state << 1) | (q & 1)) << 1)) & 3; }

    /** The multiple of Δ that level q stands for in {@code state}. */
    public static long multiple(int state, int q) { return state < 2 ? 2L * q : 2L * q - Integer.signum(q); }

    /**
     * Reconstruction ŵ = (float) (base + multiple · Δ) in double, walking the states in scan order and restarting at
     * state 0 every {@code sliceElements} levels.
     */
    public static float[] reconstruct(int[] q, float[] base, float[] steps, long[] dims, int axis, long sliceElements) {
        int[] l = UniformQuantizer.layout(dims, axis);
        int channels = l[0], inner = l[1], n = q.length;
        float[] out = new float[n];
        // Branch-free state walk (the state is as unpredictable as the levels' parity): in states 2 and 3 the
        // multiple is 2q − sgn q, i.e. 2q − (s >> 1)·sgn q; the channel advances by counting, without a division.
        for (long from = 0; from < n; from += Math.max(1, sliceElements)) {
            int lo = (int) from, hi = (int) Math.min(n, from + Math.max(1, sliceElements));
            int s = 0, c = channels == 1 ? 0 : (lo / inner) % channels, left = channels == 1 ? Integer.MAX_VALUE : inner - lo % inner;
            double d = steps[c];
            for (int i = lo; i < hi; i++) {
                if (left-- == 0) {
                    c = c + 1 == channels ? 0 : c + 1;
                    d = steps[c];
                    left = inner - 1;
                }
                int v = q[i];
                long mult = 2L * v - (s >> 1) * ((v >> 31) | (-v >>> 31));
                double r = mult * d;
                out[i] = (float) (base == null ? r : base[i] + r);
                s = (NEXT >>> (((s << 1) | (v & 1)) << 1)) & 3;
            }
        }
        return out;
    }
}
