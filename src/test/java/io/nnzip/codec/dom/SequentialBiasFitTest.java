package io.nnzip.codec.dom;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code fitBiases}, checked on the decoded update in ONNX Runtime: with conv2 coded coarsely, the patched model's
 * conv2 and fc1 outputs must have the new model's per-channel means on the calibration images (the least-squares bias
 * given the coded weights), to within the bias's coding step — means taken here by plain loops over ORT outputs — while
 * the same update without the fit misses them by far more.
 */
class SequentialBiasFitTest {
    private static final int N = 256;

    @Test
    void fittedBiasesGiveTheNewModelsChannelMeans() {
        Model base = SyntheticModels.cnn(3, 4, 8, 16);
        // Only conv2 and fc1 (weights and biases) change, so every other tensor reaches the receiver exactly and the
        // sender's model of the receiver differs from the decode only by the coding of the biases themselves.
        Model tuned = SyntheticModels.finetune(base, 2, 0.5), next = base.copy();
        for (String t : new String[] {"conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias"})
            next.graph().initializers().put(t, tuned.graph().initializer(t));
        Random r = new Random(1);
        float[] px = new float[N * 784];
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        Dataset calib = new Dataset("noise", px, new int[N], 1, 28, 28, 10);
        ErrorCompensation ec = ErrorCompensation.prepare(next, Set.of("conv2.weight", "fc1.weight"), calib, Normalization.NONE, 64);
        CodecOptions o = UpdateCompensation.codingOptions(CodecOptions.defaults().withThreads(1).withOverrides(Map.of("conv2.weight", 4, "fc1.weight", -8)));
        Model fitted = patched(ec, base, next, calib, o, true), plain = patched(ec, base, next, calib, o, false);
        for (String w : new String[] {"conv2.weight", "fc1.weight"}) {
            double[] want = means(next, w, px), got = means(fitted, w, px), without = means(plain, w, px);
            String bias = consumer(next, w).inputs().get(2);
            float[] b = fitted.graph().initializer(bias).floats();
            double ss = 0;
            for (float v : b) ss += (double) v * v;
            // The bias is coded with 8 mantissa bits, per value or on a grid of 2^(⌊log2 rms⌋ − 8) as a difference: the
            // receiver's bias is within half of the coarser of the two steps of the fit.
            double grid = Math.scalb(1.0, Math.getExponent(Math.sqrt(ss / b.length)) - CodecOptions.REDUCED_MANTISSA);
            double worst = 0, errPlain = 0, tolMax = 0;
            for (int c = 0; c < want.length; c++) {
                double tol = 0.5 * Math.max(grid, Math.scalb(1.0, Math.getExponent(b[c]) - CodecOptions.REDUCED_MANTISSA)) + 1e-5;
                tolMax = Math.max(tolMax, tol);
                worst = Math.max(worst, Math.abs(got[c] - want[c]) / tol);
                errPlain = Math.max(errPlain, Math.abs(without[c] - want[c]));
            }
            assertTrue(worst <= 1, w + ": channel means off by " + worst + " coding tolerances with fitted biases");
            assertTrue(errPlain > 5 * tolMax, w + ": without the fit the means are off by only " + errPlain + " (largest tolerance " + tolMax + ")");
        }
    }

    private static Model patched(ErrorCompensation ec, Model base, Model next, Dataset calib, CodecOptions o, boolean fit) {
        SequentialCompensation seq = new SequentialCompensation(ec, base, next, SequentialCompensation.batches(calib, Normalization.NONE, 64), fit);
        return Patcher.patch(base, DiffEncoder.diff(base, seq.target(o), o, true), "fit", 1);
    }

    private static Node consumer(Model m, String weight) {
        return m.graph().nodes().stream().filter(n -> n.inputs().contains(weight)).findFirst().orElseThrow();
    }

    /** Per-channel mean of the output of the node consuming {@code weight} (ORT), over images and positions. */
    private static double[] means(Model m, String weight, float[] px) {
        Model c = m.copy();
        String value = consumer(m, weight).outputs().getFirst();
        c.graph().outputs().clear();
        c.graph().outputs().add(new ValueInfo(value, DType.FLOAT, null));
        Tensor y;
        try (OrtRunner ort = new OrtRunner(c, 1)) {
            y = ort.run(Map.of(c.graph().runtimeInputs().getFirst().name(), Tensor.of(px.clone(), N, 1, 28, 28))).get(value);
        }
        int ch = y.dim(1), inner = y.size() / (N * ch);
        double[] s = new double[ch];
        float[] v = y.floats();
        for (int n = 0; n < N; n++)
            for (int k = 0; k < ch; k++)
                for (int i = 0; i < inner; i++) s[k] += v[(n * ch + k) * inner + i];
        for (int k = 0; k < ch; k++) s[k] /= (double) N * inner;
        return s;
    }
}
