package io.nnzip.codec.bits;

import java.util.Arrays;

/**
 * A growable little-endian byte buffer: the lowest layer every writer of the .nnz format sits on.
 * Varints are LEB128 (7 bits per byte, low group first); signed varints are zigzag-mapped first.
 */
public final class ByteSink {
    private byte[] buf;
    private int len;

    public ByteSink() { this(256); }

    public ByteSink(int capacity) { buf = new byte[Math.max(16, capacity)]; }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) len + extra);
            if (want > Integer.MAX_VALUE - 16) throw new IllegalStateException("buffer over 2 GiB");
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    public void u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
    }

    public void u16(int v) {
        ensure(2);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
    }

    public void u32(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) buf[len++] = (byte) (v >>> (8 * i));
    }

    public void u64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
    }

    public void f32(float v) { u32(Float.floatToRawIntBits(v)); }

    /** Unsigned LEB128; negative values are written as their unsigned 64-bit pattern (10 bytes). */
    public void uvar(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    public void svar(long v) { uvar((v << 1) ^ (v >> 63)); }

    public void bytes(byte[] b) { bytes(b, 0, b.length); }

    public void bytes(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    public int length() { return len; }

    /** The backing array (valid up to {@link #length()}), not copied. */
    public byte[] array() { return buf; }

    public byte[] toByteArray() { return Arrays.copyOf(buf, len); }

    public void reset() { len = 0; }
}
