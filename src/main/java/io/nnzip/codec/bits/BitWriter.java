package io.nnzip.codec.bits;

/** Packs raw bit fields (most significant first) into bytes; used for the incompressible low mantissa bits. */
public final class BitWriter {
    private final ByteSink out;
    private long acc;
    private int nacc;

    public BitWriter(int capacityBytes) { out = new ByteSink(capacityBytes); }

    /** Appends the low {@code n} bits of {@code v}, 0 ≤ n ≤ 32. */
    public void write(int v, int n) {
        if (n == 0) return;
        acc = (acc << n) | (v & ((1L << n) - 1));
        nacc += n;
        while (nacc >= 8) {
            nacc -= 8;
            out.u8((int) (acc >>> nacc));
        }
    }

    public byte[] finish() {
        if (nacc > 0) out.u8((int) (acc << (8 - nacc)));
        nacc = 0;
        return out.toByteArray();
    }
}
