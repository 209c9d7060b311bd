package io.nnzip.codec.bits;

import io.nnzip.ir.NnzipException;

/**
 * Bounds-checked little-endian reader over a byte range. Every read that would pass the end throws an
 * {@link NnzipException} naming {@code what} is being read, so truncated input always ends in a clear error.
 */
public final class ByteSource {
    private final byte[] buf;
    private final int end;
    private int pos;
    private final String what;

    public ByteSource(byte[] buf, String what) { this(buf, 0, buf.length, what); }

    public ByteSource(byte[] buf, int off, int len, String what) {
        if (off < 0 || len < 0 || off + len > buf.length) throw new IllegalArgumentException("bad range");
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
        this.what = what;
    }

    private void need(int n, String field) {
        if (n < 0 || end - pos < n) throw new NnzipException(what + ": truncated while reading " + field);
    }

    public int u8(String field) {
        need(1, field);
        return buf[pos++] & 0xFF;
    }

    public int u16(String field) {
        need(2, field);
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    public int u32(String field) {
        need(4, field);
        int v = 0;
        for (int i = 0; i < 4; i++) v |= (buf[pos + i] & 0xFF) << (8 * i);
        pos += 4;
        return v;
    }

    public long u64(String field) {
        need(8, field);
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (buf[pos + i] & 0xFFL) << (8 * i);
        pos += 8;
        return v;
    }

    public float f32(String field) { return Float.intBitsToFloat(u32(field)); }

    public long uvar(String field) {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = u8(field);
            if (shift == 63 && (b & 0x7E) != 0) break;
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new NnzipException(what + ": malformed varint in " + field);
    }

    public long svar(String field) {
        long u = uvar(field);
        return (u >>> 1) ^ -(u & 1);
    }

    /** An unsigned varint that must lie in [0, max]; the usual guard for counts and lengths. */
    public int count(String field, long max) {
        long v = uvar(field);
        if (v < 0 || v > max) throw new NnzipException(what + ": " + field + " = " + Long.toUnsignedString(v) + " is out of range (max " + max + ")");
        return (int) v;
    }

    /** {@code n} bytes, checked against what is left before anything is allocated. */
    public byte[] bytes(int n, String field) {
        need(n, field);
        byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** A sub-reader over the next {@code n} bytes (no copy); this reader skips past them. */
    public ByteSource slice(int n, String field) {
        need(n, field);
        ByteSource s = new ByteSource(buf, pos, n, what + "/" + field);
        pos += n;
        return s;
    }

    public int remaining() { return end - pos; }

    public int position() { return pos; }

    public byte[] array() { return buf; }

    public String what() { return what; }

    public void expectEnd() {
        if (pos != end) throw new NnzipException(what + ": " + (end - pos) + " unexpected trailing bytes");
    }
}
