package io.nnzip.quant.lowbit;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.BitSplitQuantizer;
import io.nnzip.quant.FashionCnnFixture;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.Scheme;
import io.nnzip.quant.WeightSchemes;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.weight.BitSplit;
import io.nnzip.quant.weight.Gptq;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bit-split and stitching: planes stitch to the codes, against a hand computation and an exhaustive search on
 * small problems, and the written file's codes are those integers (ONNX Runtime computes with α·q).
 */
class BitSplitTest {
    @Test
    void splitAndStitchRoundTripEveryInteger() {
        for (int bits = 2; bits <= 8; bits++) {
            int qm = BitSplit.qmax(bits);
            int[] q = new int[2 * qm + 1];
            for (int i = 0; i < q.length; i++) q[i] = i - qm;
            byte[][] p = BitSplit.split(q, bits - 1);
            assertArrayEquals(q, BitSplit.stitch(p), "bits " + bits);
            for (byte[] plane : p) for (byte b : plane) assertTrue(b >= -1 && b <= 1);
        }
    }

    @Test
    void handComputedRowWithoutCalibration() {
        // weight error only (H = I), 3 bits (q in [−3, 3]), w = [0.9, 0.3, −0.55, 0.1]. By hand: q = [3, 1, −2, 0] gives
        // α = qᵀw / qᵀq = (2.7 + 0.3 + 1.1) / (9 + 1 + 4) = 4.1 / 14 and error Σw² − (qᵀw)²/qᵀq = 1.2125 − 16.81/14 = 0.01179;
        // the neighbours (e.g. −0.55 → −1 or −3, 0.1 → 1) are worse, and a listing of all 7⁴ codes finds none better.
        float[] w = {0.9f, 0.3f, -0.55f, 0.1f};
        BitSplit.Result r = BitSplit.quantize(w, 1, 4, null, 3, 12);
        assertArrayEquals(new int[] {3, 1, -2, 0}, r.q());
        assertEquals(4.1 / 14, r.alpha()[0], 1e-6);
        assertArrayEquals(r.q(), BitSplit.stitch(r.planes()));
        // planes by hand: 3 = 2 + 1, 1 = 1, −2 = −2
        assertArrayEquals(new byte[] {1, 1, 0, 0}, r.planes()[0]);
        assertArrayEquals(new byte[] {1, 0, -1, 0}, r.planes()[1]);
    }

    @Test
    void beatsRoundingAndNeverBeatsExhaustiveSearch() {
        SplittableRandom rnd = new SplittableRandom(5);
        int cols = 4, bits = 3, qm = BitSplit.qmax(bits), trials = 40, atOptimum = 0;
        double sumB = 0, sumR = 0;
        for (int t = 0; t < trials; t++) {
            // correlated inputs: H = XᵀX of 16 samples whose features share a common part
            double[] h = new double[cols * cols];
            for (int s = 0; s < 16; s++) {
                double common = rnd.nextGaussian();
                double[] x = new double[cols];
                for (int i = 0; i < cols; i++) x[i] = common + 0.5 * rnd.nextGaussian();
                for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) h[i * cols + j] += x[i] * x[j];
            }
            float[] w = new float[cols];
            for (int i = 0; i < cols; i++) w[i] = (float) rnd.nextGaussian();
            BitSplit.Result r = BitSplit.quantize(w, 1, cols, h, bits, 12);
            double eb = Gptq.outputError(w, r.decoded(), 1, cols, h);
            // plain rounding on the max grid
            float max = 0;
            for (float v : w) max = Math.max(max, Math.abs(v));
            float[] rounded = new float[cols];
            for (int i = 0; i < cols; i++) rounded[i] = Math.round(w[i] / (max / qm)) * (max / qm);
            double er = Gptq.outputError(w, rounded, 1, cols, h);
            // exhaustive: every q in [−3, 3]^4 with its optimal α
            double best = Double.MAX_VALUE;
            int[] q = new int[cols];
            for (int code = 0; code < Math.pow(2 * qm + 1, cols); code++) {
                int c = code;
                for (int i = 0; i < cols; i++) {
                    q[i] = c % (2 * qm + 1) - qm;
                    c /= 2 * qm + 1;
                }
                double num = 0, den = 0;
                for (int i = 0; i < cols; i++)
                    for (int j = 0; j < cols; j++) {
                        num += q[i] * h[i * cols + j] * w[j];
                        den += q[i] * h[i * cols + j] * q[j];
                    }
                if (den == 0) continue;
                double a = num / den;
                float[] v = new float[cols];
                for (int i = 0; i < cols; i++) v[i] = (float) (a * q[i]);
                best = Math.min(best, Gptq.outputError(w, v, 1, cols, h));
            }
            assertTrue(eb <= er * (1 + 1e-6), "trial " + t + ": bit-split " + eb + " > rounding " + er);
            assertTrue(eb >= best * (1 - 1e-4) - 1e-9, "trial " + t + ": below the exhaustive optimum?");
            if (eb <= best * 1.01 + 1e-9) atOptimum++;
            sumB += eb;
            sumR += er;
        }
        assertTrue(sumB < 0.7 * sumR, "bit-split " + sumB + " vs rounding " + sumR);
        assertTrue(atOptimum >= trials / 2, atOptimum + " of " + trials + " at the optimum");
    }

    @Test
    void writtenCodesAreTheStitchedIntegersAndOrtComputesWithThem() {
        Model cnn = FashionCnnFixture.random(4);
        SplittableRandom r = new SplittableRandom(2);
        float[] x = new float[16 * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        LabeledData calib = new LabeledData(Tensor.of(x, 16, 1, 28, 28), null);
        QuantConfig c = new QuantConfig();
        c.scheme = "bitsplit:3";
        WeightSchemes.Applied a = BitSplitQuantizer.apply(cnn, Scheme.parse(c.scheme), c, calib.batches(16), calib, s -> {});
        Model file = OnnxReader.read(OnnxWriter.toBytes(a.model()), null);
        // the conv2 layer by hand: its codes initializer × its scale column = the values the report carries
        Tensor codes = file.graph().initializer("conv2.weight_bitsplit"), scale = file.graph().initializer("conv2.weight_scale");
        assertNotNull(codes, file.graph().initializers().keySet().toString());
        int rows = scale.size(), cols = codes.size() / rows;
        float[] expect = new float[codes.size()];
        for (int i = 0; i < expect.length; i++) {
            int q = (int) codes.toFloats()[i];
            assertTrue(Math.abs(q) <= 3, "code " + q);
            expect[i] = q * scale.toFloats()[i / cols];
        }
        Model simulated = a.reference().copy();
        // ORT on the file vs nnzip's engine on the float graph holding the decoded weights of every layer
        for (var l : a.rows()) {
            String wn = weightOf(a, l.node());
            simulated.graph().initializers().put(wn, Tensor.of(l.weightApprox(), a.reference().graph().initializer(wn).shape()));
        }
        assertArrayEquals(expect, simulated.graph().initializer("conv2.weight").floats());
        Map<String, Tensor> feeds = Map.of(file.graph().runtimeInputs().getFirst().name(), calib.slice(0, 8));
        float[] ort;
        try (OrtRunner o = new OrtRunner(file, 1)) {
            ort = o.run(feeds).values().iterator().next().floats();
        }
        float[] ours = new Executor(simulated).run(feeds).values().iterator().next().floats();
        for (int i = 0; i < ort.length; i++) assertEquals(ort[i], ours[i], 1e-4f * (1 + Math.abs(ort[i])), "logit " + i);
    }

    private static String weightOf(WeightSchemes.Applied a, String node) {
        return a.reference().graph().nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow().input(1);
    }
}
