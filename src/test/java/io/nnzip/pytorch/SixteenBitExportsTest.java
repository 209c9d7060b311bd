package io.nnzip.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.Float16Graph;
import io.nnzip.quant.weight.SixteenBitQuantizer;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 16-bit schemes on models as torch.onnx.export wrote them (Constant nodes and all), against PyTorch's own float
 * outputs: fp16 graphs run in ONNX Runtime, bf16 / fixed16 weights in ORT and in the engine.
 */
class SixteenBitExportsTest {
    static int argmax(float[] v, int row, int n) {
        int b = 0;
        for (int j = 1; j < n; j++) if (v[row * n + j] > v[row * n + b]) b = j;
        return b;
    }

    static void assertSameTop1(Tensor a, Tensor b, String what) {
        int n = b.shape()[1];
        for (int r = 0; r < b.shape()[0]; r++) assertEquals(argmax(b.floats(), r, n), argmax(a.floats(), r, n), what + " row " + r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx", "cnn_op17.onnx", "mlp_op13.onnx"})
    void fp16GraphRunsInOrtCloseToPyTorch(String file) {
        Model m = PyTorchExportsTest.load(file);
        Float16Graph.Result r = Float16Graph.convert(m, true);
        assertTrue(r.tensors() > 0);
        m.graph().initializers().values().forEach(t -> assertTrue(t.dtype() != DType.FLOAT, "no float32 initializer left"));
        assertEquals(DType.FLOAT, m.graph().inputs().getFirst().dtype());
        assertEquals(DType.FLOAT, m.graph().outputs().getFirst().dtype());
        Tensor y = PyTorchExportsTest.ort(m, PyTorchExportsTest.x());
        // 11 significant bits per value through a few layers: a few parts per thousand
        double e = PyTorchExportsTest.relErr(y, PyTorchExportsTest.expected(file));
        assertTrue(e < 1e-2 && e > 0, file + " fp16 error " + e);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnn_op13.onnx"})
    void fp16WithHalfInputsAndOutputs(String file) {
        Model m = PyTorchExportsTest.load(file);
        Float16Graph.convert(m, false);
        assertEquals(DType.FLOAT16, m.graph().inputs().getFirst().dtype());
        float[] x = PyTorchExportsTest.x().floats();
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = Float.floatToFloat16(x[i]);
        Tensor y;
        try (OrtRunner o = new OrtRunner(OnnxWriter.toBytes(m), 1)) {
            y = o.run(Map.of("input", new Tensor(DType.FLOAT16, PyTorchExportsTest.x().shape(), h))).get("logits");
        }
        assertEquals(DType.FLOAT16, y.dtype());
        Tensor yf = Tensor.of(y.toFloats(), y.shape());
        assertTrue(PyTorchExportsTest.relErr(yf, PyTorchExportsTest.expected(file)) < 1e-2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bf16", "fixed16"})
    void sixteenBitWeightsRunInOrtAndEngineAlike(String scheme) {
        Model m = PyTorchExportsTest.load("cnn_op13.onnx");
        io.nnzip.engine.Canonical.apply(m);
        var layers = WeightOnlyQuantizer.apply(m, Set.of(), scheme.equals("bf16") ? SixteenBitQuantizer::bf16 : SixteenBitQuantizer::fixed16);
        assertTrue(layers.size() >= 4, layers.size() + " layers");
        for (var l : layers) assertEquals(scheme.equals("bf16") ? "bfloat16" : "int16", l.encoded().storage());
        Tensor x = PyTorchExportsTest.x();
        Tensor ort = PyTorchExportsTest.ort(m, x);
        Tensor eng = new Executor(m).run(Map.of("input", x)).get("logits");
        assertArrayEquals(ort.floats(), eng.floats(), 1e-4f, "engine = ORT on the same 16-bit model");
        double e = PyTorchExportsTest.relErr(ort, PyTorchExportsTest.expected("cnn_op13.onnx"));
        // bf16 keeps 8 significant bits, fixed16 15 below each channel's largest weight
        assertTrue(e < (scheme.equals("bf16") ? 3e-2 : 1e-3), scheme + " error " + e);
        assertSameTop1(ort, PyTorchExportsTest.expected("cnn_op13.onnx"), scheme);
    }
}
