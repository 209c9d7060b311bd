package io.nnzip.codec.rd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.DependentQuantizer;
import io.nnzip.codec.TensorCodec;
import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.codec.syntax.SyntaxWriter;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dependent (trellis-coded) quantization and RD level decisions, checked through the real writer, reader and coder. */
class DependentQuantizationTest {
    private static float[] laplace(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            w[i] = (float) (-scale * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return w;
    }

    // Writes the unit as format version 5 and parses it back, so the decoder sees only the bytes.
    private static TensorUnit reparse(TensorUnit u) {
        ByteSink s = new ByteSink();
        u.formatVersion = 5; // both directions read the same version's syntax (v6 adds the row-skip field)
        u.syntax(new SyntaxWriter(s));
        TensorUnit back = new TensorUnit();
        back.formatVersion = 5;
        back.syntax(new SyntaxReader(new ByteSource(s.toByteArray(), "t")));
        return back;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 500, 4096})
    void theDecodersStateWalkReproducesTheTrellisReconstructionAtEverySliceLength(int slice) {
        int n = 3001, rows = 3;
        float[] w = laplace(n * rows, slice, 0.05);
        long[] dims = {rows, n};
        float[] steps = {0.004f, 0.011f, 0.0007f};
        int[] ctx = RiceLevelBinarization.contexts();
        TrellisQuantizer.Result r = TrellisQuantizer.search(w, null, steps, dims, 0, null, true, 2, ctx, 0.4, slice);
        // The decoder's reconstruction of these levels, from the levels alone.
        float[] rec = DependentQuantizer.reconstruct(r.levels(), null, steps, dims, 0, slice);
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.floatToRawIntBits(r.reconstruction()[i]), Float.floatToRawIntBits(rec[i]), "element " + i);
            double st = steps[i / n];
            // Each quantizer's points are 2 grid steps apart and the search only offers the two around a weight.
            assertTrue(Math.abs(w[i] - rec[i]) < 2 * st * 1.0001, "element " + i);
        }
    }

    @Test
    void aDependentUnitDecodesToTheTrellisReconstructionThroughTheRealCoder() {
        int n = TensorCodec.SLICE + 37; // two slices: the second restarts state and contexts
        float[] w = laplace(n, 3, 0.02);
        float[] base = laplace(n, 4, 0.02);
        for (float[] b : new float[][] {null, base}) {
            TensorUnit u = new TensorUnit();
            u.method = b == null ? TensorUnit.UNIFORM : TensorUnit.DOM_UNIFORM;
            u.dtype = DType.FLOAT.onnx;
            u.dims = new long[] {n};
            u.dependent = true;
            u.steps = new float[] {0.003f};
            byte[] classes = b == null ? null : io.nnzip.codec.UniformQuantizer.baseClasses(b, u.steps, u.dims, -1);
            TrellisQuantizer.Result r = TrellisQuantizer.search(w, b, u.steps, u.dims, -1, classes, true, 1, RiceLevelBinarization.contexts(), 0.46, TensorCodec.SLICE);
            TensorCodec.fillLevels(u, r.levels(), classes, 2);
            assertEquals(2, u.slices.length);
            Tensor d = TensorCodec.decode(reparse(u), b == null ? null : new Tensor(DType.FLOAT, new int[] {n}, b));
            float[] got = d.floats();
            for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(r.reconstruction()[i]), Float.floatToRawIntBits(got[i]), "element " + i);
        }
    }

    // J = Σ ((w − ŵ)/Δ)² + λ · bits, with Δ = σ·2^(qp/4) computed here and bits the real coder's bytes · 8.
    private static double cost(float[] w, TensorUnit u, double step) {
        float[] rec = TensorCodec.decode(reparse(u), null).floats();
        double d = 0;
        for (int i = 0; i < w.length; i++) {
            double e = (w[i] - rec[i]) / step;
            d += e * e;
        }
        return d + RdQuantization.LAMBDA * 8 * u.codedBytes();
    }

    @ParameterizedTest
    @ValueSource(ints = {-16, -12, -8, -4, 0, 4})
    void rdLevelsNeverCostMoreThanRoundingToNearest(int qp) {
        for (long seed = 0; seed < 4; seed++) {
            Random r = new Random(seed);
            float[] w = seed % 2 == 0 ? laplace(4000 + (int) seed * 999, seed, 0.03) : new float[5000];
            if (seed % 2 == 1) for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.1);
            double s = 0, ss = 0;
            for (float v : w) {
                s += v;
                ss += (double) v * v;
            }
            double step = (float) (Math.sqrt(ss / w.length - (s / w.length) * (s / w.length)) * Math.pow(2, qp / 4.0));
            Tensor t = new Tensor(DType.FLOAT, new int[] {w.length / 10, 10}, java.util.Arrays.copyOf(w, w.length / 10 * 10));
            float[] x = t.floats();
            double nearest = cost(x, TensorCodec.encode(0, "t", t, new TensorCodec.Policy(true, qp, -1, 0.5), null), step);
            for (int mode : new int[] {CodecOptions.QUANT_RDOQ, CodecOptions.QUANT_TRELLIS}) {
                TensorUnit u = TensorCodec.encode(0, "t", t, new TensorCodec.Policy(true, qp, -1, Double.NaN, 1, 23, mode), null);
                double j = cost(x, u, step);
                assertTrue(j <= nearest * (1 + 1e-12), "qp " + qp + " seed " + seed + " mode " + mode + ": J " + j + " > rounding's " + nearest);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 7, 15, 29, 1000})
    void reconstructionFollowsTheStateTableOverChannelsSlicesAndABase(int slice) {
        // dims (2, 3, 5), channel axis 1: channel of element i is (i / 5) % 3, written out here by hand.
        long[] dims = {2, 3, 5};
        float[] steps = {0.5f, 0.03f, 7f};
        java.util.Random r = new java.util.Random(slice);
        int[] q = new int[30];
        float[] base = new float[30];
        for (int i = 0; i < 30; i++) {
            q[i] = r.nextInt(9) - 4;
            base[i] = (float) r.nextGaussian();
        }
        int[][] next = {{0, 2}, {2, 0}, {1, 3}, {3, 1}};
        for (float[] b : new float[][] {null, base}) {
            float[] got = DependentQuantizer.reconstruct(q, b, steps, dims, 1, slice);
            int s = 0;
            for (int i = 0; i < 30; i++) {
                if (i % slice == 0) s = 0;
                long mult = s < 2 ? 2L * q[i] : 2L * q[i] - Integer.signum(q[i]);
                double v = mult * (double) steps[(i / 5) % 3];
                float want = (float) (b == null ? v : b[i] + v);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "slice " + slice + " element " + i);
                s = next[s][Math.abs(q[i]) % 2];
            }
        }
    }

    @Test
    void theStateMachineFollowsTheParityTable() {
        int[][] next = {{0, 2}, {2, 0}, {1, 3}, {3, 1}};
        for (int s = 0; s < 4; s++)
            for (int q = -5; q <= 5; q++) {
                assertEquals(next[s][Math.abs(q) % 2], DependentQuantizer.next(s, q));
                assertEquals(s < 2 ? 2 * q : 2 * q - Integer.signum(q), DependentQuantizer.multiple(s, q));
            }
    }
}
