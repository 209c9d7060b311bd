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
        for (int median : new int[] {0, 120, 255, FloatBinarization.FLOAT32.medianExponent(bits, n)}) {
            RangeEncoder e = new RangeEncoder(16);
            BitWriter raw = new BitWriter(16);
            FloatBinarization.FLOAT32.encode(bits, n, median, e, FloatBinarization.FLOAT32.contexts(), raw);
            int[] got = new int[n];
            FloatBinarization.FLOAT32.decode(got, n, median, new RangeDecoder(e.finish(), "t"), FloatBinarization.FLOAT32.contexts(), new BitReader(raw.finish(), "t"));
            assertArrayEquals(bits, got);
        }
    }
}
