package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.TensorProtos;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** QuantMath against the ONNX suite's QuantizeLinear / DequantizeLinear node tests (per-tensor and per-axis). */
class QuantMathTest {
    static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

    /** The element's slice index along {@code axis} for a row-major shape. */
    static int channel(int[] shape, int axis, int i) {
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        return (i / inner) % shape[axis];
    }

    static int axisOf(Path dir, int rank) {
        Model m = OnnxReader.read(dir.resolve("model.onnx"));
        Node n = m.graph().nodes().get(0);
        long a = n.attrInt("axis", 1);
        return (int) (a < 0 ? a + rank : a);
    }

    @ParameterizedTest
    @ValueSource(strings = {"test_quantizelinear", "test_quantizelinear_axis"})
    void quantizeMatchesSuite(String test) {
        Path d = NODE.resolve(test).resolve("test_data_set_0");
        Tensor x = TensorProtos.readFile(d.resolve("input_0.pb")), s = TensorProtos.readFile(d.resolve("input_1.pb"));
        Tensor z = TensorProtos.readFile(d.resolve("input_2.pb")), y = TensorProtos.readFile(d.resolve("output_0.pb"));
        int axis = axisOf(NODE.resolve(test), x.rank());
        DType t = z.dtype();
        for (int i = 0; i < x.size(); i++) {
            int c = s.size() == 1 ? 0 : channel(x.shape(), axis, i);
            int q = QuantMath.quantize((float) x.getDouble(i), (float) s.getDouble(c), (int) z.getLong(c), QuantMath.qmin(t), QuantMath.qmax(t));
            assertEquals(y.getLong(i), q, test + " element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"test_dequantizelinear", "test_dequantizelinear_axis"})
    void dequantizeMatchesSuite(String test) {
        Path d = NODE.resolve(test).resolve("test_data_set_0");
        Tensor x = TensorProtos.readFile(d.resolve("input_0.pb")), s = TensorProtos.readFile(d.resolve("input_1.pb"));
        Tensor z = TensorProtos.readFile(d.resolve("input_2.pb")), y = TensorProtos.readFile(d.resolve("output_0.pb"));
        int axis = axisOf(NODE.resolve(test), x.rank());
        for (int i = 0; i < x.size(); i++) {
            int c = s.size() == 1 ? 0 : channel(x.shape(), axis, i);
            assertEquals((float) y.getDouble(i), QuantMath.dequantize((int) x.getLong(i), (float) s.getDouble(c), (int) z.getLong(c)), 0f, test + " element " + i);
        }
    }

    @Test
    void roundTripIsWithinHalfAStep() {
        QuantParams.Scalar p = QuantMath.params(-1.5f, 4.2f, DType.UINT8, false);
        for (float v = -1.5f; v <= 4.2f; v += 0.013f) {
            float r = QuantMath.fake(v, p.scale(), p.zeroPoint(), 0, 255);
            assertEquals(v, r, p.scale() / 2 + 1e-6f);
        }
        // zero is exactly representable (padding and ReLU depend on it)
        assertEquals(0f, QuantMath.fake(0f, p.scale(), p.zeroPoint(), 0, 255), 0f);
    }

    @Test
    void rangeParamsByHand() {
        // [0, 2.55] in uint8: scale 0.01, zero point 0
        QuantParams.Scalar a = QuantMath.params(0f, 2.55f, DType.UINT8, false);
        assertEquals(0.01f, a.scale(), 1e-7f);
        assertEquals(0, a.zeroPoint());
        // [-1, 1.5] asymmetric uint8: scale 2.5/255, zero point round(0 + 1/scale) = 102
        QuantParams.Scalar b = QuantMath.params(-1f, 1.5f, DType.UINT8, false);
        assertEquals(2.5f / 255, b.scale(), 1e-7f);
        assertEquals(102, b.zeroPoint());
        // symmetric int8 over [-0.5, 1.27]: scale 1.27 / 127, zero point 0
        QuantParams.Scalar c = QuantMath.params(-0.5f, 1.27f, DType.INT8, true);
        assertEquals(0.01f, c.scale(), 1e-7f);
        assertEquals(0, c.zeroPoint());
    }
}
