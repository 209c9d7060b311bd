package io.nnzip.codec.binarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.nnzip.codec.bits.BitReader;
import io.nnzip.codec.bits.BitWriter;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatBinarizationTest {
    @Test
    void everyBitPatternClassRoundTrips() {
        Random r = new Random(4);
        int n = 50_000;
        int[] bits = new int[n];
        int[] special = {0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF};
        for (int i = 0; i < n; i++)
            bits[i] = i < special.length ? special[i] : r.nextInt(4) == 0 ? r.nextInt() : Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05));
        for (int version : new int[] {7, 8})
            for (int median : new int[] {0, 1, 2, 120, 254, 255, FloatBinarization.FLOAT32.medianExponent(bits, n)})
                assertArrayEquals(bits, roundTrip(FloatBinarization.FLOAT32.forVersion(version), bits, median), "version " + version + ", median " + median);
    }

    @Test
    void halfAndReducedLayoutsRoundTripInVersion8() {
        Random r = new Random(5);
        int n = 5_000;
        int[] half = new int[n], reduced = new int[n];
        for (int i = 0; i < n; i++) {
            half[i] = r.nextInt(1 << 16);
            // float32 patterns cut to 5 mantissa bits: sign, 8 exponent bits, 5 mantissa bits
            reduced[i] = r.nextInt(4) == 0 ? 0 : r.nextInt(1 << 14) & ~(0xFF << 5) | (100 + r.nextInt(40)) << 5;
        }
        for (FloatBinarization fb : new FloatBinarization[] {FloatBinarization.FLOAT16, FloatBinarization.BFLOAT16}) {
            FloatBinarization v8 = fb.forVersion(8);
            for (int median : new int[] {0, 3, v8.medianExponent(half, n), fb == FloatBinarization.FLOAT16 ? 31 : 255})
                assertArrayEquals(half, roundTrip(v8, half, median));
        }
        FloatBinarization m5 = FloatBinarization.reduced(5).forVersion(8);
        assertArrayEquals(reduced, roundTrip(m5, reduced, m5.medianExponent(reduced, n)));
    }

    /**
     * A 64-value bias at 5 mantissa bits: version 7 paid ~8 bits for each exponent (a 255-node tree learning from
     * nothing); version 8 must code it in at most sign + mantissa + 4 bits per value, and below version 7.
     */
    @Test
    void aSmallTensorsExponentsCostAFewBitsInVersion8() {
        Random r = new Random(6);
        int n = 64;
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.03));
            bits[i] = (b >>> 31) << 13 | ((b & 0x7FFFFFFF) + (1 << 17)) >>> 18;
        }
        FloatBinarization v7 = FloatBinarization.reduced(5), v8 = v7.forVersion(8);
        int median = v7.medianExponent(bits, n);
        long b7 = codedBits(v7, bits, median), b8 = codedBits(v8, bits, median);
        org.junit.jupiter.api.Assertions.assertTrue(b8 <= n * (1 + 5 + 4), "version 8: " + b8 + " bits for " + n + " values");
        org.junit.jupiter.api.Assertions.assertTrue(b8 < b7, "version 8 " + b8 + " bits, version 7 " + b7);
    }

    private static long codedBits(FloatBinarization fb, int[] bits, int median) {
        RangeEncoder e = new RangeEncoder(16);
        BitWriter raw = new BitWriter(16);
        fb.encode(bits, bits.length, median, e, fb.contexts(), raw);
        return 8L * (e.finish().length + raw.finish().length);
    }

    private static int[] roundTrip(FloatBinarization fb, int[] bits, int median) {
        RangeEncoder e = new RangeEncoder(16);
        BitWriter raw = new BitWriter(16);
        fb.encode(bits, bits.length, median, e, fb.contexts(), raw);
        int[] got = new int[bits.length];
        fb.decode(got, bits.length, median, new RangeDecoder(e.finish(), "t"), fb.contexts(), new BitReader(raw.finish(), "t"));
        return got;
    }
}
