package io.nnzip.codec.cabac;

import io.nnzip.ir.NnzipException;

/**
 * Decoder for {@link RangeEncoder}. Reading more than a few bytes past the end of the coded data means the
 * data was cut short or the element count is wrong: that is an error, not silent zero bits.
 */
public final class RangeDecoder implements BinDecoder {
    private static final long TOP = 1L << 24;
    private static final int SLACK = 8;
    private final byte[] buf;
    private final int end;
    private int pos;
    private long range = 0xFFFFFFFFL;
    private long code;
    private final String what;

    public RangeDecoder(byte[] buf, String what) { this(buf, 0, buf.length, what); }

    public RangeDecoder(byte[] buf, int off, int len, String what) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
        this.what = what;
        for (int i = 0; i < 4; i++) code = (code << 8) | next();
    }

    private int next() {
        if (pos < end) return buf[pos++] & 0xFF;
        if (pos++ - end >= SLACK) throw new NnzipException(what + ": arithmetic-coded data ends early");
        return 0;
    }

    @Override
    public int bit(int[] ctx, int i) {
        int s = ctx[i];
        long bound = (range >>> 15) * ContextModel.p1(s);
        int bit;
        if (code < bound) {
            range = bound;
            bit = 1;
        } else {
            code -= bound;
            range -= bound;
            bit = 0;
        }
        ctx[i] = ContextModel.update(s, bit);
        while (range < TOP) {
            range <<= 8;
            code = ((code << 8) | next()) & 0xFFFFFFFFL;
        }
        return bit;
    }

    @Override
    public int bypass(int n) {
        int v = 0;
        for (int k = 0; k < n; k++) {
            range >>>= 1;
            int b = 0;
            if (code >= range) {
                code -= range;
                b = 1;
            }
            v = (v << 1) | b;
            while (range < TOP) {
                range <<= 8;
                code = ((code << 8) | next()) & 0xFFFFFFFFL;
            }
        }
        return v;
    }

    @Override
    public int bypassBits(int n) {
        if (n > 16) {
            int hi = bypassChunk(n - 16);
            return hi << 16 | bypassChunk(16);
        }
        return n > 0 ? bypassChunk(n) : 0;
    }

    private int bypassChunk(int n) {
        range >>>= n;
        // code < range << n for intact data; corrupt data gets clamped, never an out-of-range value.
        long v = Math.min(code / range, (1L << n) - 1);
        code -= v * range;
        while (range < TOP) {
            range <<= 8;
            code = ((code << 8) | next()) & 0xFFFFFFFFL;
        }
        return (int) v;
    }
}
