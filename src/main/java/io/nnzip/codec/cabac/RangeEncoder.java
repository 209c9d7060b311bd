package io.nnzip.codec.cabac;

import io.nnzip.codec.bits.ByteSink;

/**
 * Binary arithmetic (range) coder: 32-bit range, 64-bit low with deferred carry propagation. A bin with
 * P(1) = p splits the range at {@code (range >>> 15) * p}: a 1 keeps the lower part, a 0 the upper part.
 * The range is renormalized by whole bytes whenever it drops below 2^24, so the output is a byte stream.
 */
public final class RangeEncoder implements BinEncoder {
    private static final long TOP = 1L << 24;
    private final ByteSink out;
    private long low;
    private long range = 0xFFFFFFFFL;
    private int cache;
    private long pending = 1;
    private boolean first = true;

    public RangeEncoder(int capacity) { out = new ByteSink(capacity); }

    @Override
    public void bit(int[] ctx, int i, int bit) {
        int s = ctx[i];
        long bound = (range >>> 15) * ContextModel.p1(s);
        if (bit != 0) range = bound;
        else {
            low += bound;
            range -= bound;
        }
        ctx[i] = ContextModel.update(s, bit);
        while (range < TOP) {
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
            do {
                if (!first) out.u8(b + carry);
                first = false;
                b = 0xFF;
            } while (--pending != 0);
            cache = (int) (low >>> 24) & 0xFF;
        }
        pending++;
        low = (low & 0x00FFFFFFL) << 8;
    }

    /** Flushes the coder and returns the coded bytes. */
    public byte[] finish() {
        for (int i = 0; i < 5; i++) shiftLow();
        return out.toByteArray();
    }
}
