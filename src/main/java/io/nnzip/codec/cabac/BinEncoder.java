package io.nnzip.codec.cabac;

/**
 * Where a binarization sends its bins: a real arithmetic coder ({@link RangeEncoder}) or a cost estimator
 * ({@link BitCostEstimator}). Both update the context exactly the same way, so an estimate made with the
 * estimator is what the coder would spend.
 */
public interface BinEncoder {
    /** Codes {@code bit} (0/1) with the adaptive model {@code ctx[i]} and updates it. */
    void bit(int[] ctx, int i, int bit);

    /** Codes the low {@code n} bits of {@code v} (most significant first) at probability 1/2, 0 ≤ n ≤ 31. */
    void bypass(int v, int n);

    /**
     * Codes the low {@code n} bits of {@code v} (0 ≤ n ≤ 31) at probability 1/2 as one number: the range is split
     * into 2^n equal parts at once (at most 16 bits per split), so it costs one operation, not n. Format version 2.
     */
    void bypassBits(int v, int n);
}
