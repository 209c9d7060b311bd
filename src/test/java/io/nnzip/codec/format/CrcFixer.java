package io.nnzip.codec.format;

import java.util.zip.CRC32C;

/**
 * Recomputes every checksum of a (possibly mutated) .nnz stream, so a fuzzer's mutations reach the unit decoders
 * instead of being stopped at the checksums. Stops quietly where the framing itself no longer parses.
 */
public final class CrcFixer {
    private CrcFixer() {}

    public static byte[] fix(byte[] b) {
        b = b.clone();
        int[] pos = {6};
        long hlen = uvar(b, pos);
        if (hlen < 0 || hlen > b.length - pos[0] - 4L) return b; // compared this way round: pos + hlen can overflow
        int p = pos[0] + (int) hlen;
        putCrc(b, 0, p);
        p += 4;
        while (p < b.length) {
            int start = p;
            int type = b[p] & 0xFF;
            pos[0] = p + 1;
            long len = uvar(b, pos);
            if (len < 0) return b;
            if (type == 0) {
                if (pos[0] + 4 > b.length) return b;
                putCrc(b, 0, pos[0]);
                return b;
            }
            if (len > b.length - pos[0] - 4L) return b;
            p = pos[0] + (int) len;
            putCrc(b, start, p);
            p += 4;
        }
        return b;
    }

    private static void putCrc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        int v = (int) c.getValue();
        for (int i = 0; i < 4; i++) b[to + i] = (byte) (v >>> (8 * i));
    }

    private static long uvar(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 63 && pos[0] < b.length; shift += 7) {
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
        return -1;
    }
}
