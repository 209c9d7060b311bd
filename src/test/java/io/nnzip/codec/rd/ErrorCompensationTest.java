package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Compensated weights, once coded, move a layer's outputs on the calibration data less than plain rounding does. */
class ErrorCompensationTest {
    static Dataset images(int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        return new Dataset("noise", px, new int[n], 1, 28, 28, 10);
    }

    /**
     * The squared change of the output of the node that consumes {@code weight}, on the calibration images, measured by
     * ONNX Runtime: an independent reference, where the Hessians this test used to weigh errors with came from the
     * code under test.
     */
    static double outputChange(Model original, Model coded, String weight, Dataset calib) {
        float[] a = layerOutput(original, weight, calib), b = layerOutput(coded, weight, calib);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    private static float[] layerOutput(Model m, String weight, Dataset calib) {
        Model c = m.copy();
        String out = c.graph().nodes().stream().filter(n -> n.inputs().contains(weight)).findFirst().orElseThrow().outputs().getFirst();
        c.graph().outputs().clear();
        c.graph().outputs().add(new ValueInfo(out, DType.FLOAT, null));
        Tensor x = Tensor.of(calib.pixels().clone(), calib.size(), 1, 28, 28);
        try (OrtRunner ort = new OrtRunner(c, 1)) {
            return ort.run(Map.of(c.graph().runtimeInputs().getFirst().name(), x)).get(out).floats();
        }
    }

    @Test
    void compensatedCodingMovesConvAndGemmOutputsLessThanPlainRounding() {
        Model m = SyntheticModels.cnn(3, 4, 8, 16);
        Dataset calib = images(48, 1);
        Set<String> layers = Set.of("conv2.weight", "fc1.weight");
        ErrorCompensation ec = ErrorCompensation.prepare(m, layers, calib, Normalization.NONE, 16);
        assertEquals(layers, ec.layers());
        Map<String, Integer> qps = Map.of("conv2.weight", 0, "fc1.weight", 0);
        CodecOptions o = ErrorCompensation.codingOptions(CodecOptions.defaults().withOverrides(qps));
        Model plain = NnzCodec.decode(NnzCodec.encode(m, o));
        Model comp = NnzCodec.decode(NnzCodec.encode(ec.apply(m, qps), o));
        for (String w : layers) {
            double ep = outputChange(m, plain, w, calib), ec2 = outputChange(m, comp, w, calib);
            assertTrue(ep > 0 && ec2 < 0.8 * ep, w + ": compensated output error " + ec2 + " vs plain " + ep);
        }
    }
}
