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
        long one = (code - bound) >> 63;
        int bit = (int) (one & 1);
        code -= bound & ~one;
        range = ((range - bound) & ~one) | (bound & one);
        ctx[i] = ContextModel.update(s, bit);
        if (range < TOP) {
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
        // v = code / range by restoring division, one branch-free step per bit (n is small; a 64-bit divide is not
        // cheap). For intact data code < range << n; corrupt data yields some n-bit value, never more.
        int v = 0;
        for (int j = n - 1; j >= 0; j--) {
            long t = range << j;
            long ge = ~((code - t) >> 63);
            code -= t & ge;
            v |= (int) (ge & 1) << j;
        }
        while (range < TOP) {
            range <<= 8;
            code = ((code << 8) | next()) & 0xFFFFFFFFL;
        }
        return v;
    }
}
