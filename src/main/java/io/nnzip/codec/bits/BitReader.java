package io.nnzip.codec.bits;

import io.nnzip.ir.NnzipException;

/** Reads the fields a {@link BitWriter} packed; reading past the end is a clear error, never garbage. */
public final class BitReader {
    private final byte[] buf;
    private final int end;
    private int pos;
    private long acc;
    private int nacc;
    private final String what;

    public BitReader(byte[] buf, String what) {
        this.buf = buf;
        this.end = buf.length;
        this.what = what;
    }

    /** The next {@code n} bits, 0 ≤ n ≤ 32. */
    public int read(int n) {
        if (n == 0) return 0;
        while (nacc < n) {
            if (pos >= end) throw new NnzipException(what + ": raw bit stream ends early");
            acc = (acc << 8) | (buf[pos++] & 0xFF);
            nacc += 8;
        }
        nacc -= n;
        return (int) ((acc >>> nacc) & ((1L << n) - 1));
    }
}
