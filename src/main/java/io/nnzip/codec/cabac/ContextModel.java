package io.nnzip.codec.cabac;

/**
 * Adaptive binary probability models, stored as plain {@code int[]} so a coder can keep hundreds of them in one
 * array. Each int packs two estimates of P(bit = 1) in 1/32768 units: a fast one (adapts by 1/32 per bin) and a
 * slow one (1/256); the model uses their mean. Two rates track both short runs and the long-run statistics
 * of a tensor without a tuning knob per tensor.
 * <p>The update rules keep the fast estimate in [31, 32737] and the slow one in [255, 32513] (an estimate stops
 * moving once its step rounds to zero), so the mean never leaves [{@link #P_MIN}, 32768 − P_MIN] with P_MIN = 143 and
 * no bin costs less than ~0.0063 bits. That bound lets a decoder check a declared element count against the length
 * of its coded data, and it needs no clamp at run time.
 */
public final class ContextModel {
    public static final int ONE = 32768;
    public static final int P_MIN = 143;
    /** No more than this many bins fit in one coded byte (8 bits / 0.0063 bits per bin ≈ 1270, rounded up). */
    public static final int MAX_BINS_PER_BYTE = 2048;
    private static final int FAST = 5, SLOW = 8;
    private static final int INIT = (ONE / 2) << 16 | (ONE / 2);

    private ContextModel() {}

    public static int[] create(int n) {
        int[] c = new int[n];
        java.util.Arrays.fill(c, INIT);
        return c;
    }

    /** P(bit = 1) of state {@code s}, in 1/32768 units, within [P_MIN, 32768 − P_MIN] by construction. */
    public static int p1(int s) { return ((s >>> 16) + (s & 0xFFFF)) >>> 1; }

    // Both outcomes are computed and one is selected by mask: the coded bit is unpredictable, a branch on it is not cheap.
    public static int update(int s, int bit) {
        int f = s >>> 16, l = s & 0xFFFF, mask = -bit;
        int f1 = f + ((ONE - f) >> FAST), f0 = f - (f >> FAST);
        int l1 = l + ((ONE - l) >> SLOW), l0 = l - (l >> SLOW);
        return (f0 ^ ((f0 ^ f1) & mask)) << 16 | (l0 ^ ((l0 ^ l1) & mask));
    }
}
