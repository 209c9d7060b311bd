package io.nnzip.codec.cabac;

/** The decoding side of {@link BinEncoder}. */
public interface BinDecoder {
    int bit(int[] ctx, int i);

    int bypass(int n);

    /** The decoding side of {@link BinEncoder#bypassBits}. */
    int bypassBits(int n);
}
