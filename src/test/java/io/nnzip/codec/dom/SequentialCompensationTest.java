package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sequential compensation, checked on the decoded update: with the first layer coded coarsely and the next one
 * finely, the patched second layer must be the least-squares fit of the new model's layer output on the inputs the
 * receiver's patched first layer produces — computed here by hand (ONNX Runtime activations, normal equations by
 * Gaussian elimination) — and its output must be closer to the new model's than per-layer compensation gives.
 */
class SequentialCompensationTest {
    private static final int N = 512;

    @Test
    void laterLayerIsTheLeastSquaresFitOnTheReceiversInputs() {
        Model base = SyntheticModels.cnn(3, 4, 8, 16);
        Model next = SyntheticModels.finetune(base, 2, 0.5);
        Random r = new Random(1);
        float[] px = new float[N * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        Dataset calib = new Dataset("noise", px, new int[N], 1, 28, 28, 10);
        Set<String> layers = Set.of("conv2.weight", "fc1.weight");
        ErrorCompensation ec = ErrorCompensation.prepare(next, layers, calib, Normalization.NONE, 64);
        SequentialCompensation seq = new SequentialCompensation(ec, base, next, SequentialCompensation.batches(calib, Normalization.NONE, 64));
        assertEquals(List.of("conv2.weight", "fc1.weight"), seq.layers());
        // conv2 coarse (a step of 2σ: most of its change is lost), fc1 so fine that its rounding hardly matters.
        CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withThreads(1).withOverrides(Map.of("conv2.weight", 4, "fc1.weight", -32)));
        Model patched = Patcher.patch(base, DiffEncoder.diff(base, seq.target(o), o, true), "seq", 1);
        Model plain = Patcher.patch(base, DiffEncoder.diff(base, UpdateCompensation.target(ec, base, next, o), o, true), "per-layer", 1);
        assertEquals(1, seq.passes(), "only fc1 sees moved inputs");
        assertTrue(!java.util.Arrays.equals(patched.graph().initializer("conv2.weight").floats(), next.graph().initializer("conv2.weight").floats()));

        // The reference: min ‖Ŵ x̂ − W x‖² + δ‖Ŵ − W‖² per row, x̂ = fc1's input in the patched model, x in the new one.
        float[] xh = activation(patched, "fc1.weight", px), xn = activation(next, "fc1.weight", px);
        int d = 392;
        double[][] a = new double[d][d], c = new double[d][d];
        for (int n = 0; n < N; n++)
            for (int i = 0; i < d; i++) {
                double hi = xh[n * d + i];
                if (hi == 0) continue;
                for (int j = 0; j < d; j++) {
                    a[i][j] += hi * xh[n * d + j];
                    c[i][j] += hi * xn[n * d + j];
                }
            }
        double mean = 0;
        for (int i = 0; i < d; i++) mean += a[i][i];
        double damp = 0.01 * mean / d;
        for (int i = 0; i < d; i++) {
            if (a[i][i] <= 0) a[i][i] = c[i][i] = 1; // an input the calibration never drives: the fit keeps W there
            a[i][i] += damp;
            c[i][i] += damp;
        }
        float[] w = next.graph().initializer("fc1.weight").floats(), got = patched.graph().initializer("fc1.weight").floats();
        float[] other = plain.graph().initializer("fc1.weight").floats();
        double err = 0, norm = 0, errPlain = 0;
        double[][] rhs = new double[d][16];
        for (int row = 0; row < 16; row++)
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) rhs[i][row] += c[i][j] * w[row * d + j];
        double[][] sol = solve(a, rhs);
        for (int row = 0; row < 16; row++)
            for (int j = 0; j < d; j++) {
                double want = sol[j][row];
                err += Math.pow(got[row * d + j] - want, 2);
                errPlain += Math.pow(other[row * d + j] - want, 2);
                norm += Math.pow(want - w[row * d + j], 2);
            }
        // The fit moves fc1 away from W by `norm`; the decoded layer lands on the reference within a few % of that move.
        assertTrue(err < 0.05 * norm, "decoded fc1 vs least-squares reference: " + err + ", fit's move " + norm);
        assertTrue(errPlain > 0.5 * norm, "per-layer compensation keeps W: " + errPlain + " vs " + norm);

        // And the layer's output (ORT, decoded models) is closer to the new model's than per-layer compensation's.
        float[] want = output(next, "fc1.weight", px), s = output(patched, "fc1.weight", px), p = output(plain, "fc1.weight", px);
        double es = 0, ep = 0;
        for (int i = 0; i < want.length; i++) {
            es += Math.pow(s[i] - want[i], 2);
            ep += Math.pow(p[i] - want[i], 2);
        }
        assertTrue(es < 0.8 * ep, "fc1 output error, sequential " + es + " vs per-layer " + ep);
    }

    /** A X = B by Gaussian elimination with partial pivoting (B: d × k). */
    private static double[][] solve(double[][] a0, double[][] b0) {
        int d = b0.length, k = b0[0].length;
        double[][] a = new double[d][], b = new double[d][];
        for (int i = 0; i < d; i++) {
            a[i] = a0[i].clone();
            b[i] = b0[i].clone();
        }
        for (int c = 0; c < d; c++) {
            int p = c;
            for (int i = c + 1; i < d; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
            double[] t = a[c]; a[c] = a[p]; a[p] = t;
            t = b[c]; b[c] = b[p]; b[p] = t;
            for (int i = c + 1; i < d; i++) {
                double f = a[i][c] / a[c][c];
                if (f == 0) continue;
                for (int j = c; j < d; j++) a[i][j] -= f * a[c][j];
                for (int j = 0; j < k; j++) b[i][j] -= f * b[c][j];
            }
        }
        double[][] x = new double[d][k];
        for (int i = d - 1; i >= 0; i--)
            for (int j = 0; j < k; j++) {
                double s = b[i][j];
                for (int m = i + 1; m < d; m++) s -= a[i][m] * x[m][j];
                x[i][j] = s / a[i][i];
            }
        return x;
    }

    /** The input of the node consuming {@code weight} (ONNX Runtime). */
    private static float[] activation(Model m, String weight, float[] px) {
        return run(m, m.graph().nodes().stream().filter(n -> n.inputs().contains(weight)).findFirst().orElseThrow().inputs().getFirst(), px);
    }

    private static float[] output(Model m, String weight, float[] px) {
        return run(m, m.graph().nodes().stream().filter(n -> n.inputs().contains(weight)).findFirst().orElseThrow().outputs().getFirst(), px);
    }

    private static float[] run(Model m, String value, float[] px) {
        Model c = m.copy();
        c.graph().outputs().clear();
        c.graph().outputs().add(new ValueInfo(value, DType.FLOAT, null));
        try (OrtRunner ort = new OrtRunner(c, 1)) {
            return ort.run(Map.of(c.graph().runtimeInputs().getFirst().name(), Tensor.of(px.clone(), px.length / 784, 1, 28, 28))).get(value).floats();
        }
    }
}
