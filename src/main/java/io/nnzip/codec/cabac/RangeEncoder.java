package io.nnzip.codec.cabac;

import java.util.Arrays;

/**
 * Binary arithmetic (range) coder: 32-bit range, 64-bit low with deferred carry propagation. A bin with
 * P(1) = p splits the range at {@code (range >>> 15) * p}: a 1 keeps the lower part, a 0 the upper part.
 * The range is renormalized by whole bytes whenever it drops below 2^24, so the output is a byte stream.
 */
public final class RangeEncoder implements BinEncoder {
    private static final long TOP = 1L << 24;
    private byte[] out;
    private int len;
    private long low;
    private long range = 0xFFFFFFFFL;
    private int cache;
    private long pending = 1;
    private boolean first = true;

    public RangeEncoder(int capacity) { out = new byte[Math.max(16, capacity)]; }

    @Override
    public void bit(int[] ctx, int i, int bit) {
        int s = ctx[i];
        long bound = (range >>> 15) * ContextModel.p1(s);
        long one = -(long) bit;
        low += bound & ~one;
        range = ((range - bound) & ~one) | (bound & one);
        ctx[i] = ContextModel.update(s, bit);
        // One byte always suffices: a bin keeps at least P_MIN/2^15 of a range >= 2^24, i.e. more than 2^16.
        if (range < TOP) {
            range <<= 8;
            shiftLow();
        }
    }

    @Override
    public void bypass(int v, int n) {
        for (int k = n - 1; k >= 0; k--) {
            range >>>= 1;
            if (((v >>> k) & 1) != 0) low += range;
            while (range < TOP) {
                range <<= 8;
                shiftLow();
            }
        }
    }

    @Override
    public void bypassBits(int v, int n) {
        if (n > 16) {
            bypassChunk(v >>> 16, n - 16);
            bypassChunk(v & 0xFFFF, 16);
        } else if (n > 0) bypassChunk(v, n);
    }

    // range >= 2^24 before, so range >>> n >= 2^8: the unused part of the range costs < 0.006 bits.
    private void bypassChunk(int v, int n) {
        range >>>= n;
        low += (v & ((1L << n) - 1)) * range;
        while (range < TOP) {
            range <<= 8;
            shiftLow();
        }
    }

    // Emits the top byte of low once it can no longer be changed by a carry; runs of 0xFF wait in 'pending'.
    private void shiftLow() {
        if (low < 0xFF000000L || low > 0xFFFFFFFFL) {
            int carry = (int) (low >>> 32);
            int b = cache;
            if (len + pending + 1 > out.length) out = Arrays.copyOf(out, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(out.length * 2L, len + pending + 16)));
            if (first) {
                first = false;
                b = 0xFF;
                pending--;
            }
            for (; pending != 0; pending--) {
                out[len++] = (byte) (b + carry);
                b = 0xFF;
            }
            cache = (int) (low >>> 24) & 0xFF;
        }
        pending++;
        low = (low & 0x00FFFFFFL) << 8;
    }

    /** Flushes the coder and returns the coded bytes. */
    public byte[] finish() {
        for (int i = 0; i < 5; i++) shiftLow();
        return Arrays.copyOf(out, len);
    }
}
