package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.ModelStats;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Early exits: heads fitted on frozen features, stage costs against the model's own MAC count, the curve's end
 * points against the exits alone, the runner's per-sample decisions against the curve, ONNX Runtime parity.
 */
class DynamicTest {
    /** Labels a random CNN gives its own inputs: the final exit is right by construction. */
    static int[] selfLabels(Model m, Tensor x) {
        float[] z = TestModels.run(m, x);
        int n = x.dim(0), k = z.length / n;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) for (int c = 1; c < k; c++) if (z[i * k + c] > z[i * k + y[i]]) y[i] = c;
        return y;
    }

    @Test
    void anytimeModelCurveAndRunnerAgree() {
        Model cnn = TestModels.cnn(5, 12, 8, 16, 16);
        Tensor train = TestModels.input(1, 400, 1, 12, 12), eval = TestModels.input(2, 60, 1, 12, 12);
        int[] ytr = selfLabels(cnn, train), yev = selfLabels(cnn, eval);
        String after1 = cnn.graph().node("conv1").output(0), after2 = cnn.graph().node("conv2").output(0);
        DynamicConfig cfg = new DynamicConfig(List.of(after1, "conv2"), 0.8, 2, 30, 0.01f, 1e-4f, "frozen", 0, 3);
        DynamicPass.Result r = DynamicPass.run(cnn, cfg, train, ytr, eval, yev);
        Model any = r.model();
        assertEquals(List.of("exit_0", "exit_1", "output"), any.graph().outputNames());
        // stopping at the last exit costs the whole anytime model; the first exit costs less than the backbone
        assertEquals(ModelStats.of(any).macs, r.cumulativeMacs()[2]);
        assertTrue(r.cumulativeMacs()[0] < r.cumulativeMacs()[1] && r.cumulativeMacs()[1] < r.cumulativeMacs()[2]);
        assertTrue(r.cumulativeMacs()[2] > r.baselineMacs());
        // final exit: 100% by construction; threshold above 1 always uses it, threshold 0.5 uses earlier exits more
        assertEquals(1.0, r.exitAccuracies()[2]);
        ExitCurve.Point last = r.curve().getLast();
        assertEquals(1.0, last.accuracy());
        assertEquals(r.cumulativeMacs()[2], last.averageMacs(), 1e-9);
        assertTrue(r.exitAccuracies()[1] > 0.3, "head after conv2 learned little: " + r.exitAccuracies()[1]);
        // the runner's per-sample decisions equal the curve's at the same threshold
        EarlyExitRunner runner = new EarlyExitRunner(any, io.nnzip.engine.Parallel.common());
        Map<String, Tensor> out = runner.run(Map.of("input", eval), 0.8);
        long[] macs = out.get("macs").longs();
        double avg = 0;
        for (long v : macs) avg += v;
        assertEquals(r.atThreshold().averageMacs(), avg / macs.length, 1e-9);
        int[] counts = new int[3];
        for (long e : out.get("exit").longs()) counts[(int) e]++;
        assertArrayEquals(r.atThreshold().exitCounts(), counts);
        // the chosen logits are that exit's logits
        Map<String, Tensor> all = Calibration.capture(any, "input", eval, any.graph().outputNames(), 64);
        float[] chosen = out.get("logits").floats();
        for (int i = 0; i < 60; i++) {
            String o = any.graph().outputNames().get((int) out.get("exit").longs()[i]);
            for (int c = 0; c < 10; c++) assertEquals(all.get(o).floats()[i * 10 + c], chosen[i * 10 + c], 1e-5);
        }
        // a plain classifier is refused with a one-line reason
        io.nnzip.ir.NnzipException e = assertThrows(io.nnzip.ir.NnzipException.class, () -> new EarlyExitRunner(cnn, io.nnzip.engine.Parallel.common()));
        assertTrue(e.getMessage().contains("nnzip dynamic"));
        // ONNX Runtime returns every exit's logits, equal to the engine's
        try (OrtRunner ort = new OrtRunner(OnnxReader.read(OnnxWriter.toBytes(any), null), 1)) {
            Map<String, Tensor> o = ort.run(Map.of("input", eval));
            for (String name : any.graph().outputNames()) assertTrue(TestModels.relDiff(o.get(name).floats(), all.get(name).floats()) < 1e-5, name);
        }
    }

    @Test
    void softmaxRegressionSeparatesSeparableClasses() {
        int n = 600, d = 5, k = 3;
        float[] w = TestModels.gaussian(k * d, 1, 4), x = TestModels.gaussian(n * d, 1, 5);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += w[c * d + j] * x[i * d + j];
                if (s > best) {
                    best = s;
                    y[i] = c;
                }
            }
        }
        // shift and scale features: the folded standardization must undo it
        for (int i = 0; i < x.length; i++) x[i] = x[i] * 7 + 3;
        SoftmaxRegression r = SoftmaxRegression.fit(x, y, n, d, k, 60, 0.05f, 0, 1);
        List<float[]> logits = new ArrayList<>();
        float[] z = new float[n * k];
        for (int i = 0; i < n; i++) for (int c = 0; c < k; c++) {
            double s = r.bias[c];
            for (int j = 0; j < d; j++) s += r.weight[c * d + j] * x[i * d + j];
            z[i * k + c] = (float) s;
        }
        logits.add(z);
        assertTrue(ExitCurve.exitAccuracies(logits, y, k)[0] > 0.97);
    }
}
