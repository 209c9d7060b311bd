package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Compensated weights, once coded, move a layer's outputs on the calibration data less than plain rounding does. */
class ErrorCompensationTest {
    private static Dataset images(int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        return new Dataset("noise", px, new int[n], 1, 28, 28, 10);
    }

    // Σ over rows of eᵀ H e, e = w − ŵ: the squared output error of the layer on the calibration inputs.
    private static double outputError(float[] w, float[] got, double[] h) {
        int d = (int) Math.round(Math.sqrt(h.length)), rows = w.length / d;
        double s = 0;
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < d; i++) {
                double ei = w[r * d + i] - got[r * d + i];
                if (ei == 0) continue;
                for (int j = 0; j < d; j++) s += ei * h[i * d + j] * (w[r * d + j] - got[r * d + j]);
            }
        return s;
    }

    @Test
    void compensatedCodingMovesConvAndGemmOutputsLessThanPlainRounding() {
        Model m = SyntheticModels.cnn(3, 4, 8, 16);
        Dataset calib = images(48, 1);
        Set<String> layers = Set.of("conv2.weight", "fc1.weight");
        ErrorCompensation ec = ErrorCompensation.prepare(m, layers, calib, Normalization.NONE, 16);
        assertEquals(layers, ec.layers());
        Map<String, double[]> h = ErrorCompensation.hessians(m, layers, calib, Normalization.NONE, 16);
        Map<String, Integer> qps = Map.of("conv2.weight", 0, "fc1.weight", 0);
        CodecOptions o = ErrorCompensation.codingOptions(CodecOptions.defaults().withOverrides(qps));
        Model plain = NnzCodec.decode(NnzCodec.encode(m, o));
        Model comp = NnzCodec.decode(NnzCodec.encode(ec.apply(m, qps), o));
        for (String w : layers) {
            float[] orig = m.graph().initializer(w).floats();
            double ep = outputError(orig, plain.graph().initializer(w).floats(), h.get(w));
            double ec2 = outputError(orig, comp.graph().initializer(w).floats(), h.get(w));
            assertTrue(ec2 < 0.8 * ep, w + ": compensated output error " + ec2 + " vs plain " + ep);
        }
    }
}
