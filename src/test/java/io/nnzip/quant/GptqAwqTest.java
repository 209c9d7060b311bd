package io.nnzip.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.weight.Awq;
import io.nnzip.quant.weight.Gptq;
import io.nnzip.quant.weight.GroupedInts;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import io.nnzip.quant.weight.MatMulNBits;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The 4-bit machinery checked against references computed here: MatMulNBits' nibble packing by hand and ORT's
 * product against a double-precision x·W of the decoded weights; GPTQ and AWQ against plain rounding, with the
 * output error measured directly as ‖X(W − Ŵ)‖² on inputs whose Hessian we built (correlated features, one
 * outlier channel), not through the code's own error formula.
 */
class GptqAwqTest {
    @Test
    void matMulNBitsPacksNibblesLowFirstAndPadsWithTheZeroPoint() {
        // 1 output, K = 18 inputs, block 16: block 0 full, block 1 holds 2 values and 14 padding nibbles
        int[] q = new int[18];
        for (int i = 0; i < 18; i++) q[i] = (i % 16) - 8;
        GroupedInts gi = new GroupedInts(q, new float[] {0.5f, 0.25f}, new int[] {-1, 3}, 1, 18, 16, 4);
        MatMulNBits.Packed p = MatMulNBits.pack(gi);
        assertEquals(2, p.blocks());
        // block 0: unsigned values 0..15, pairs (0,1)→0x10, (2,3)→0x32, ...; block 1: 0,1 then zero point 3+8=11=0xB
        byte[] want = new byte[16];
        for (int i = 0; i < 8; i++) want[i] = (byte) ((2 * i) | ((2 * i + 1) << 4));
        want[8] = 0x10;
        for (int i = 9; i < 16; i++) want[i] = (byte) 0xBB;
        assertArrayEquals(want, p.b());
        // zero points 7 and 11 in one byte, block 0 low
        assertArrayEquals(new byte[] {(byte) (7 | (11 << 4))}, p.zeroPoints());
    }

    @Test
    void ortRunsMatMulNBitsAsTheDecodedProduct() {
        int k = 40, n = 6, batch = 3;
        SplittableRandom r = new SplittableRandom(4);
        float[] w = new float[k * n], x = new float[batch * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        GraphBuilder b = new GraphBuilder("nbits");
        String in = b.input("x", DType.FLOAT, batch, k);
        String wi = b.init("w", w, k, n);
        b.output(b.op("MatMul", in, wi), DType.FLOAT, batch, n);
        Model m = b.build(17);
        List<io.nnzip.quant.weight.WeightOnlyQuantizer.Layer> layers = MatMulNBits.applyAll(m, java.util.Set.of(), 16, 4, Map.of());
        assertEquals(1, layers.size());
        assertEquals("MatMulNBits", m.graph().nodes().get(0).opType());
        // reference: re-derive the rounding independently (asymmetric 4-bit grid per 16-input block of each output) is
        // the code under test; what must hold independently is ORT = x · decoded in double, and decoded ≈ w
        float[] dec = layers.get(0).encoded().values();
        float[] got;
        try (OrtRunner o = new OrtRunner(m, 1)) {
            got = o.run(Map.of("x", Tensor.of(x, batch, k))).values().iterator().next().floats();
        }
        for (int bi = 0; bi < batch; bi++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += x[bi * k + i] * (double) dec[i * n + j];
                assertEquals(s, got[bi * n + j], 1e-4 * (1 + Math.abs(s)), "y[" + bi + "," + j + "]");
            }
        for (int i = 0; i < w.length; i++) assertEquals(w[i], dec[i], 0.4, "decoded weight " + i);
    }

    /** Inputs with correlated features and one large channel; returns X (rows × k). */
    static float[] inputs(int rows, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * k];
        for (int t = 0; t < rows; t++) {
            double common = r.nextGaussian();
            for (int i = 0; i < k; i++) x[t * k + i] = (float) ((0.7 * common + 0.5 * r.nextGaussian()) * (i == 3 ? 8 : 1));
        }
        return x;
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextGaussian() * 0.1);
        return w;
    }

    static double[] hessian(float[] x, int rows, int k) {
        double[] h = new double[k * k];
        for (int t = 0; t < rows; t++) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) h[i * k + j] += x[t * k + i] * (double) x[t * k + j] / rows;
        return h;
    }

    /** ‖X Wᵀ − X Ŵᵀ‖² with W, Ŵ rows (outputs) × k. */
    static double outputError(float[] x, int rows, int k, float[] w, float[] wq, int outs) {
        double e = 0;
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < outs; o++) {
                double d = 0;
                for (int i = 0; i < k; i++) d += x[t * k + i] * ((double) w[o * k + i] - wq[o * k + i]);
                e += d * d;
            }
        return e;
    }

    @Test
    void gptqReconstructsTheOutputBetterThanRounding() {
        int k = 64, outs = 16, rows = 512;
        float[] x = inputs(rows, k, 1), w = gaussian(outs * k, 2);
        double[] h = hessian(x, rows, k);
        for (int bits : new int[] {4, 3}) {
            GroupedInts g = Gptq.quantize(w, outs, k, h, 32, bits, 0.01);
            double eg = outputError(x, rows, k, w, g.decoded(), outs);
            double er = outputError(x, rows, k, w, GroupedLinearQuantizer.round(w, outs, k, 32, bits).decoded(), outs);
            assertTrue(eg < 0.8 * er, bits + " bits: GPTQ output error " + eg + " vs rounding " + er);
            int lo = io.nnzip.quant.QuantMath.qminBits(bits), hi = io.nnzip.quant.QuantMath.qmaxBits(bits);
            for (int v : g.q()) assertTrue(v >= lo && v <= hi, "code " + v + " outside " + bits + " bits");
        }
    }

    @Test
    void gptqWithADiagonalHessianIsRounding() {
        // no correlation between inputs: no other column can absorb an error, so GPTQ must equal rounding exactly
        int k = 32, outs = 4;
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[outs * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        double[] h = new double[k * k];
        for (int i = 0; i < k; i++) h[i * k + i] = 1 + i;
        assertArrayEquals(GroupedLinearQuantizer.round(w, outs, k, 16, 4).q(), Gptq.quantize(w, outs, k, h, 16, 4, 0.01).q());
    }

    @Test
    void awqProtectsTheOutlierChannel() {
        int k = 64, outs = 16, rows = 512;
        float[] x = inputs(rows, k, 5), w = gaussian(outs * k, 6);
        double[] h = hessian(x, rows, k), mean = new double[k];
        for (int t = 0; t < rows; t++) for (int i = 0; i < k; i++) mean[i] += Math.abs(x[t * k + i]) / rows;
        Awq.Result a = Awq.search(List.of(w), k, h, mean, 64, 4, 20);
        assertTrue(a.alpha() > 0, "some scaling helps with an 8x channel");
        float[] ws = new float[w.length];
        for (int o = 0; o < outs; o++) for (int i = 0; i < k; i++) ws[o * k + i] = w[o * k + i] * a.scales()[i];
        float[] d = GroupedLinearQuantizer.round(ws, outs, k, 64, 4).decoded();
        for (int o = 0; o < outs; o++) for (int i = 0; i < k; i++) d[o * k + i] /= a.scales()[i];
        double ea = outputError(x, rows, k, w, d, outs);
        double er = outputError(x, rows, k, w, GroupedLinearQuantizer.round(w, outs, k, 64, 4).decoded(), outs);
        assertTrue(ea < er, "AWQ output error " + ea + " vs rounding " + er);
        assertTrue(a.scales()[3] > a.scales()[0], "the outlier channel is scaled up");
    }

    static Node first(Model m, String op) { return m.graph().nodes().stream().filter(n -> n.opType().equals(op)).findFirst().orElseThrow(); }
}
