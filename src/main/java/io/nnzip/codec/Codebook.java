package io.nnzip.codec;

import java.util.Arrays;

/**
 * Detects tensors that are already quantized to a few distinct values (k-means clustered, ternary, fake-quantized)
 * and maps them to indices into their sorted value table, so they are coded in their own domain, losslessly.
 */
final class Codebook {
    static final int MAX_ENTRIES = 4096;

    final float[] entries;
    final int zeroIndex;
    private final int[] keys;
    private final int[] vals;

    private Codebook(float[] entries) {
        this.entries = entries;
        int z = 0;
        for (int i = 1; i < entries.length; i++) if (Math.abs(entries[i]) < Math.abs(entries[z])) z = i;
        zeroIndex = z;
        int cap = Integer.highestOneBit(entries.length * 4 + 4) * 2;
        keys = new int[cap];
        vals = new int[cap];
        Arrays.fill(vals, -1);
        for (int i = 0; i < entries.length; i++) put(Float.floatToRawIntBits(entries[i]), i);
    }

    /** The codebook of {@code w}, or null if it has too many distinct values to pay off. */
    static Codebook detect(float[] w) {
        int limit = Math.min(MAX_ENTRIES, w.length / 8);
        if (limit < 2) return null;
        int cap = Integer.highestOneBit(limit * 4) * 2;
        int[] set = new int[cap];
        boolean[] used = new boolean[cap];
        int count = 0;
        float[] found = new float[limit];
        for (float v : w) {
            int b = Float.floatToRawIntBits(v);
            int h = mix(b) & (cap - 1);
            while (used[h] && set[h] != b) h = (h + 1) & (cap - 1);
            if (!used[h]) {
                if (count == limit) return null;
                used[h] = true;
                set[h] = b;
                found[count++] = v;
            }
        }
        float[] e = Arrays.copyOf(found, count);
        // Float.compare orders -0.0 before 0.0 and keeps distinct bit patterns apart (NaNs aside).
        Float[] boxed = new Float[count];
        for (int i = 0; i < count; i++) boxed[i] = e[i];
        Arrays.sort(boxed, (x, y) -> {
            int c = Float.compare(x, y);
            return c != 0 ? c : Integer.compare(Float.floatToRawIntBits(x), Float.floatToRawIntBits(y));
        });
        for (int i = 0; i < count; i++) e[i] = boxed[i];
        return new Codebook(e);
    }

    static Codebook of(float[] entries) { return new Codebook(entries); }

    private static int mix(int b) {
        int h = b * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private void put(int bits, int idx) {
        int h = mix(bits) & (keys.length - 1);
        while (vals[h] >= 0 && keys[h] != bits) h = (h + 1) & (keys.length - 1);
        keys[h] = bits;
        vals[h] = idx;
    }

    int indexOf(float v) {
        int bits = Float.floatToRawIntBits(v);
        int h = mix(bits) & (keys.length - 1);
        while (vals[h] >= 0) {
            if (keys[h] == bits) return vals[h];
            h = (h + 1) & (keys.length - 1);
        }
        return -1;
    }
}
