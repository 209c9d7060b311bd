package io.nnzip.codec;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A recipe's {@code encode: {float_mantissa: M}}: the float tensors the codec does not quantize (biases, LayerNorm
 * parameters, small tensors) keep M mantissa bits, i.e. each decoded value is the input rounded to M bits (relative
 * error at most 2^-(M+1), checked value by value against that bound), and fewer bits code smaller.
 */
class FloatMantissaTest {
    @Test
    void unquantizedFloatsKeepTheGivenMantissaBits() {
        Model m = OnnxReader.read(Path.of("src/test/resources/transformers/vit_op17.onnx"));
        assertEquals(CodecOptions.REDUCED_MANTISSA, EncodeConfig.of(Map.of()).options(m, 1).floatMantissa(), "default");
        byte[] eight = NnzCodec.encode(m, EncodeConfig.of(Map.of()).options(m, 1));
        byte[] five = NnzCodec.encode(m, EncodeConfig.of(Map.of("float_mantissa", 5)).options(m, 1));
        assertTrue(five.length < eight.length, five.length + " B at 5 bits, " + eight.length + " B at 8");
        Model d = NnzCodec.decode(five);
        int checked = 0, moved = 0;
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            // rank ≥ 2 tensors of ≥ 256 elements are the quantized weights; the rest are coded as reduced floats
            if (t.dtype() != DType.FLOAT || (t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED)) continue;
            float[] a = t.floats(), b = d.graph().initializer(e.getKey()).floats();
            for (int i = 0; i < a.length; i++) {
                assertTrue(Math.abs(b[i] - a[i]) <= Math.abs(a[i]) * 0x1p-6 * (1 + 1e-6), e.getKey() + "[" + i + "]: " + a[i] + " -> " + b[i]);
                checked++;
                if (b[i] != a[i]) moved++;
            }
        }
        assertTrue(checked > 500, "values checked: " + checked);
        assertTrue(moved > checked / 2, "5 bits round most values: " + moved + " of " + checked);
        assertThrows(NnzipException.class, () -> EncodeConfig.of(Map.of("float_mantissa", 2)));
        assertThrows(NnzipException.class, () -> EncodeConfig.of(Map.of("float_mantissa", 5, "lossless", true)));
    }
}
