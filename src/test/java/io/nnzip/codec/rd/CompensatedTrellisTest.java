package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.DependentQuantizer;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GPTQ inside the rate–distortion trellis: exhaustive references for the path search, ORT for the layer outputs. */
class CompensatedTrellisTest {
    private static double[][] identity(int d) {
        double[][] u = new double[d][d];
        for (int i = 0; i < d; i++) u[i][i] = 1;
        return u;
    }

    /**
     * Without compensation (U = I) and with bits free (λ = 0) the dependent trellis must find the least squared
     * error any level sequence achieves through the decoder's state walk: checked against all 9^6 sequences of
     * levels in [−4, 4], reconstructed by {@link DependentQuantizer#reconstruct}.
     */
    @Test
    void dependentPathAtZeroLambdaIsTheExhaustiveMinimum() {
        Random r = new Random(7);
        for (int trial = 0; trial < 4; trial++) {
            int n = 6;
            float[] w = new float[n];
            for (int i = 0; i < n; i++) w[i] = (float) Math.max(-2.5, Math.min(2.5, r.nextGaussian()));
            double step = 1.3;
            CompensatedTrellis.Result res = CompensatedTrellis.search(w, identity(n), step, true, 0, 0, RiceLevelBinarization.contexts(), 1 << 20);
            float[] steps = {(float) (step / 2)};
            long[] dims = {1, n};
            assertArrayEquals(DependentQuantizer.reconstruct(res.levels(), null, steps, dims, -1, 1 << 20), res.reconstruction(), 1e-5f);
            double best = Double.POSITIVE_INFINITY;
            int[] q = new int[n];
            for (int code = 0; code < Math.pow(9, n); code++) {
                for (int i = 0, c = code; i < n; i++, c /= 9) q[i] = c % 9 - 4;
                float[] rec = DependentQuantizer.reconstruct(q, null, steps, dims, -1, 1 << 20);
                double e = 0;
                for (int i = 0; i < n; i++) e += (w[i] - rec[i]) * (double) (w[i] - rec[i]);
                best = Math.min(best, e);
            }
            double got = 0;
            for (int i = 0; i < n; i++) got += (w[i] - res.reconstruction()[i]) * (double) (w[i] - res.reconstruction()[i]);
            assertEquals(best, got, 1e-6 * (1 + best), "trial " + trial);
        }
    }

    /** Scalar levels, U = I, λ = 0: rounding each weight to the nearest multiple of Δ, by hand. */
    @Test
    void scalarPathAtZeroLambdaRoundsToNearest() {
        float[] w = {0.2f, -0.7f, 1.6f, -2.4f, 0.49f, 3.1f};
        CompensatedTrellis.Result res = CompensatedTrellis.search(w, identity(3), 1.0, false, 0, 0, RiceLevelBinarization.contexts(), 1 << 20);
        assertArrayEquals(new int[] {0, -1, 2, -2, 0, 3}, res.levels());
    }

    /** Scalar levels at λ = 0 are GPTQ's: rounding to nearest with the error spread over the later inputs. */
    @Test
    void scalarPathAtZeroLambdaIsGptq() {
        Random r = new Random(3);
        int d = 7, rows = 5;
        double[] h = new double[d * d];
        for (int s = 0; s < 40; s++) {
            double[] x = new double[d];
            for (int i = 0; i < d; i++) x[i] = r.nextGaussian() + (i > 0 ? 0.6 * x[i - 1] : 0);
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) h[i * d + j] += x[i] * x[j];
        }
        double[][] u = ErrorCompensation.inverseCholeskyUpper(h, d);
        float[] w = new float[d * rows];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        double step = 0.7;
        float[] adj = ErrorCompensation.compensate(w, rows, d, u, step);
        int[] expect = new int[w.length];
        for (int i = 0; i < w.length; i++) expect[i] = (int) (Math.signum(adj[i]) * Math.floor(Math.abs(adj[i]) / step + 0.5));
        assertArrayEquals(expect, CompensatedTrellis.search(w, u, step, false, 0, 0, RiceLevelBinarization.contexts(), 1 << 20).levels());
    }

    /**
     * The written stream decodes to exactly the reconstruction the search measured, and (scalar and dependent alike)
     * moves each layer's output, measured in ONNX Runtime, less than rounding the same weights to nearest at the same step.
     */
    @Test
    void codedLayersDecodeAsMeasuredAndMoveOutputsLessThanRounding() {
        Model m = SyntheticModels.cnn(3, 4, 8, 16);
        Dataset calib = ErrorCompensationTest.images(48, 1);
        Set<String> layers = Set.of("conv2.weight", "fc1.weight");
        ErrorCompensation ec = ErrorCompensation.prepare(m, layers, calib, Normalization.NONE, 16);
        Map<String, Integer> qps = Map.of("conv2.weight", 0, "fc1.weight", 0);
        CodecOptions o = CodecOptions.defaults().withOverrides(qps).withRounding(0.5);
        Model plain = NnzCodec.decode(NnzCodec.encode(m, o));
        for (boolean dq : new boolean[] {false, true}) {
            ErrorCompensation.Coded c = ec.code(m, qps, dq);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ModelEncoder.encode(c.source(), o, out);
            Model decoded = NnzCodec.decode(out.toByteArray());
            for (String w : layers) {
                assertArrayEquals(c.model().graph().initializer(w).floats(), decoded.graph().initializer(w).floats(), 0f, w);
                double ep = ErrorCompensationTest.outputChange(m, plain, w, calib), et = ErrorCompensationTest.outputChange(m, decoded, w, calib);
                assertTrue(et < 0.9 * ep, (dq ? "dq " : "scalar ") + w + ": output error " + et + " vs rounding " + ep);
            }
        }
    }
}
