package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Tensor;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.SixteenBitQuantizer;
import org.junit.jupiter.api.Test;

/** bf16 rounding and fixed16 codes against hand-worked values; the ONNX subgraphs rebuild them bit for bit in ORT. */
class SixteenBitTest {
    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, SixteenBitQuantizer.toBfloat16(1f));
        // 1 + 2^-8 lies halfway between 0x3F80 and 0x3F81: the even one
        assertEquals((short) 0x3F80, SixteenBitQuantizer.toBfloat16(1f + 0x1p-8f));
        // 1 + 3·2^-8 lies halfway between 0x3F81 and 0x3F82: the even one
        assertEquals((short) 0x3F82, SixteenBitQuantizer.toBfloat16(1f + 3 * 0x1p-8f));
        assertEquals((short) 0x3F81, SixteenBitQuantizer.toBfloat16(1f + 0x1p-8f + 0x1p-20f));
        assertEquals((short) 0xC040, SixteenBitQuantizer.toBfloat16(-3f));
        assertEquals(1e30f, SixteenBitQuantizer.fromBfloat16(SixteenBitQuantizer.toBfloat16(1e30f)), 1e30f / 128);
    }

    @Test
    void fixed16CodesPerChannel() {
        // row 0: max 16383.5 → step 0.5, so 0.3 → code 1 → 0.5 and -100.2 → code -200 → -100; row 1 all zero → codes 0
        Tensor w = Tensor.of(new float[] {16383.5f, -100.2f, 0.3f, 0f, 0f, 0f}, 2, 3);
        EncodedWeight e = SixteenBitQuantizer.fixed16(w, 0);
        assertArrayEquals(new float[] {16383.5f, -100f, 0.5f, 0, 0, 0}, e.values(), 0f);
        assertEquals(0.5f, e.minScale());
        assertEquals(2L * 6 + 4 * 2, e.bytes());
    }

    @Test
    void bothRebuildExactlyInOrt() {
        WeightEncodingTest.check("bf16", SixteenBitQuantizer::bf16, false, 0);
        WeightEncodingTest.check("fixed16", SixteenBitQuantizer::fixed16, false, 0);
        for (float v : SixteenBitQuantizer.fixed16(WeightEncodingTest.weight(3, 10, 40), 1).values()) assertTrue(Float.isFinite(v));
    }
}
