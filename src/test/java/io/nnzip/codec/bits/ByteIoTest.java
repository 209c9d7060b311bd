package io.nnzip.codec.bits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nnzip.ir.NnzipException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteIoTest {
    @Test
    void varintsAndFixedWidthRoundTripAtBoundaries() {
        long[] vals = {0, 1, 127, 128, 16383, 16384, (1L << 35) - 1, Long.MAX_VALUE, -1, Long.MIN_VALUE};
        ByteSink s = new ByteSink(1);
        for (long v : vals) {
            s.uvar(v);
            s.svar(v);
        }
        s.u8(0xAB);
        s.u16(0xBEEF);
        s.u32(0xDEADBEEF);
        s.u64(0x0123456789ABCDEFL);
        s.f32(-0.0f);
        ByteSource in = new ByteSource(s.toByteArray(), "test");
        for (long v : vals) {
            assertEquals(v, in.uvar("u"));
            assertEquals(v, in.svar("s"));
        }
        assertEquals(0xAB, in.u8("a"));
        assertEquals(0xBEEF, in.u16("b"));
        assertEquals(0xDEADBEEF, in.u32("c"));
        assertEquals(0x0123456789ABCDEFL, in.u64("d"));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(in.f32("e")));
        in.expectEnd();
    }

    @Test
    void truncatedReadsAreClearErrors() {
        ByteSink s = new ByteSink();
        s.uvar(1L << 40);
        byte[] b = s.toByteArray();
        for (int cut = 0; cut < b.length; cut++) {
            ByteSource in = new ByteSource(java.util.Arrays.copyOf(b, cut), "cut");
            assertThrows(NnzipException.class, () -> in.uvar("v"));
        }
        assertThrows(NnzipException.class, () -> new ByteSource(new byte[3], "x").bytes(4, "blob"));
        assertThrows(NnzipException.class, () -> new ByteSource(new byte[] {5}, "x").count("n", 4));
    }

    @Test
    void bitFieldsRoundTrip() {
        Random r = new Random(3);
        int[] v = new int[1000], n = new int[1000];
        BitWriter w = new BitWriter(1);
        for (int i = 0; i < v.length; i++) {
            n[i] = r.nextInt(33);
            v[i] = n[i] == 32 ? r.nextInt() : r.nextInt() & ((1 << n[i]) - 1);
            w.write(v[i], n[i]);
        }
        BitReader in = new BitReader(w.finish(), "bits");
        int[] got = new int[v.length];
        for (int i = 0; i < v.length; i++) got[i] = in.read(n[i]);
        assertArrayEquals(v, got);
        assertThrows(NnzipException.class, () -> in.read(32));
    }
}
