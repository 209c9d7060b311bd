package io.nnzip.quant.lowbit;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.binary.BinaryNet;
import io.nnzip.quant.calib.LabeledData;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The low-bit schemes without training project weights onto their grids in a copy of the model. Model.copy shares
 * the initializer tensors, so a projection written into them in place quantized the caller's float model too, and
 * quantize then reported the quantized accuracy as the float one. It showed on exported graphs, whose convolutions
 * carry no BatchNormalization (already folded by the exporter), so no folding replaced their weights first; here:
 * the Linear layers of the built-in CNN, which no BatchNormalization follows.
 */
class FloatModelUntouchedTest {
    @ParameterizedTest
    @ValueSource(strings = {"binary-01", "binary-pm1", "stt", "onehot:3"})
    void projectionLeavesTheInputModelsWeightsAsTheyWere(String scheme) {
        Model cnn = Models.cnn(0.25f, 10, 5);
        Map<String, float[]> before = new LinkedHashMap<>();
        cnn.graph().initializers().forEach((k, v) -> before.put(k, v.toFloats().clone()));
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[16 * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        LabeledData calib = new LabeledData(Tensor.of(x, 16, 1, 28, 28), null);
        QuantConfig c = new QuantConfig();
        Consumer<String> log = s -> {};
        Model out;
        if (scheme.startsWith("binary")) {
            c.scheme = "binary";
            c.activations = scheme.substring(7);
            out = BinaryNet.apply(cnn, c, calib, null, null, log).model();
        } else if (scheme.equals("stt")) {
            c.scheme = scheme;
            out = SoftThresholdTernary.apply(cnn, c, null, null, log).model();
        } else {
            c.scheme = scheme;
            out = OneHotNet.apply(cnn, Scheme.parse(scheme), c, calib, null, null, log).model();
        }
        assertNotNull(out);
        int gemms = 0;
        for (var n : cnn.graph().nodes()) if (n.opType().equals("Gemm")) gemms++;
        assertTrue(gemms >= 2, "the fixture needs Linear layers without BatchNormalization");
        before.forEach((k, v) -> assertArrayEquals(v, cnn.graph().initializer(k).toFloats(), k + " changed"));
    }
}
