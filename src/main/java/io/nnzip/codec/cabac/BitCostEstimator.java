package io.nnzip.codec.cabac;

/**
 * Counts what a {@link RangeEncoder} would spend, in bits, without producing output. Contexts adapt exactly as
 * in the real coder, so running a binarization through this gives its true adaptive cost (to within the coder's
 * few bytes of flush overhead). Used for rate–distortion choices: step size, rounding offset, binarization.
 */
public final class BitCostEstimator implements BinEncoder {
    private static final float[] COST = new float[ContextModel.ONE / 8 + 1];

    static {
        for (int i = 0; i < COST.length; i++) {
            double p = Math.min(Math.max(i * 8.0 + 4, ContextModel.P_MIN), ContextModel.ONE - ContextModel.P_MIN) / ContextModel.ONE;
            COST[i] = (float) (-Math.log(p) / Math.log(2));
        }
    }

    private double bits;
    private long bins;
    private final boolean adapt;

    public BitCostEstimator() { this(true); }

    /**
     * With {@code adapt} false the contexts are read, not updated: the cost of a bin under frozen probabilities, as a
     * trellis search needs to price alternative levels at one position without one alternative moving the models.
     */
    public BitCostEstimator(boolean adapt) { this.adapt = adapt; }

    /** Bits to code a 1 under P(1) = p1/32768 (a 0 costs {@code cost(32768 - p1)}). */
    public static float cost(int p1) { return COST[p1 >>> 3]; }

    @Override
    public void bit(int[] ctx, int i, int bit) {
        int s = ctx[i];
        int p = ContextModel.p1(s);
        bits += bit != 0 ? COST[p >>> 3] : COST[(ContextModel.ONE - p) >>> 3];
        if (adapt) ctx[i] = ContextModel.update(s, bit);
        bins++;
    }

    @Override
    public void bypass(int v, int n) {
        bits += n;
        bins += n > 0 ? 1 : 0;
    }

    @Override
    public void bypassBits(int v, int n) {
        bits += n;
        bins += n > 16 ? 2 : n > 0 ? 1 : 0;
    }

    public double bits() { return bits; }

    /** Coding operations so far (context bins, plus one per bypass call): what coding time is proportional to. */
    public long bins() { return bins; }

    public void reset() {
        bits = 0;
        bins = 0;
    }
}
