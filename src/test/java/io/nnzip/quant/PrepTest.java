package io.nnzip.quant;

import io.nnzip.quant.calib.LabeledData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.models.zoo.Zoo;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.prep.CrossLayerEqualizer;
import io.nnzip.quant.prep.InferenceCleanup;
import io.nnzip.quant.qat.StraightThrough;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Graph preparation keeps the function (checked in ONNX Runtime); equalization evens out channel ranges. */
class PrepTest {
    static float[] run(Model m, String input, Tensor x) {
        try (OrtRunner r = new OrtRunner(m, 1)) {
            return r.run(Map.of(input, x)).values().iterator().next().floats();
        }
    }

    static void assertClose(float[] a, float[] b, double rel) {
        double max = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(max <= rel * scale, "max diff " + max + " of " + scale);
    }

    @Test
    void batchNormFoldingAndDropoutRemovalKeepTheOutput() {
        Model m = FashionCnnFixture.exported(3);
        // non-trivial BN statistics so folding has something to do
        SplittableRandom r = new SplittableRandom(4);
        m.graph().initializers().replaceAll((k, v) -> k.contains("running_var") || k.endsWith("1.weight") || k.endsWith("5.weight") || k.endsWith("9.weight")
                ? positive(v, r) : k.contains("running_mean") ? jitter(v, r) : v);
        Tensor x = LabeledData.of(io.nnzip.data.Datasets.load("fashion-mnist", "test"), io.nnzip.data.Normalization.resolve(null, m), m, 16).slice(0, 16);
        float[] before = run(m, "input", x);
        Model p = m.copy();
        assertEquals(1, InferenceCleanup.removeIdentities(p.graph()));
        assertEquals(3, BatchNormFolder.fold(p.graph()));
        for (Node n : p.graph().nodes()) assertTrue(!n.opType().equals("BatchNormalization") && !n.opType().equals("Dropout"), n.toString());
        assertClose(before, run(p, "input", x), 1e-5);
    }

    @Test
    void equalizationKeepsReluNetworksAndBalancesRanges() {
        Model m = Zoo.build("resnet18", 32, 0.25, 10, 5);
        Tensor x = gaussian(4, 3, 32, 32);
        float[] before = run(m, "input", x);
        Model e = m.copy();
        CrossLayerEqualizer.Result res = CrossLayerEqualizer.equalize(e.graph(), 4);
        assertTrue(res.pairs() > 0);
        assertEquals(0, res.relu6Replaced());
        assertClose(before, run(e, "input", x), 1e-4);
        // after equalization the paired channel ranges r1_i and r2_i agree (s_i → 1 at the fixed point)
        Node c1 = e.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).skip(1).findFirst().orElseThrow();
        Node c2 = e.graph().consumers().get(e.graph().consumers().get(c1.output(0)).get(0).output(0)).get(0);
        Tensor w1 = e.graph().initializer(c1.input(1)), w2 = e.graph().initializer(c2.input(1));
        int k = w1.dim(0), per = w1.size() / k, cin = w2.dim(1), rs = w2.size() / (w2.dim(0) * cin);
        for (int i = 0; i < k; i++) {
            double r1 = 0, r2 = 0;
            for (int j = 0; j < per; j++) r1 = Math.max(r1, Math.abs(w1.floats()[i * per + j]));
            for (int o = 0; o < w2.dim(0); o++) for (int j = 0; j < rs; j++) r2 = Math.max(r2, Math.abs(w2.floats()[(o * cin + i) * rs + j]));
            assertEquals(r1, r2, 0.05 * r1, "channel " + i);
        }
    }

    @Test
    void perClusterGradientMatchesFiniteDifferences() {
        // L(c) = Σ_i (c[idx_i] - t_i)² ; dL/dc_k by central differences vs the summed per-member gradients
        int[] idx = {0, 2, 1, 2, 0, 2};
        float[] c = {0.5f, -1f, 2f}, t = {0.1f, 1.5f, -0.7f, 2.2f, 0.4f, 3f};
        float[] g = new float[idx.length];
        for (int i = 0; i < idx.length; i++) g[i] = 2 * (c[idx[i]] - t[i]);
        float[] gc = StraightThrough.perCluster(idx, g, 3);
        for (int k = 0; k < 3; k++) {
            double h = 1e-3;
            double[] cp = {c[0], c[1], c[2]}, cm = {c[0], c[1], c[2]};
            cp[k] += h;
            cm[k] -= h;
            assertEquals((loss(cp, idx, t) - loss(cm, idx, t)) / (2 * h), gc[k], 1e-3, "centroid " + k);
        }
    }

    @Test
    void straightThroughPassesInsideAndBlocksOutsideTheRange() {
        // where the quantizer is the identity plus rounding, the STE gradient equals the finite-difference slope
        // of the un-rounded map (1 · upstream); where it saturates the true slope is 0, and so is the STE's
        float[] w = {-2f, -0.5f, 0.3f, 0.9f, 1.7f}, up = {1f, 2f, 3f, 4f, 5f};
        float[] g = StraightThrough.backward(w, up, -1f, 1f);
        for (int i = 0; i < w.length; i++) {
            double h = 1e-4;
            double slope = (clip(w[i] + h) - clip(w[i] - h)) / (2 * h);
            assertEquals(slope * up[i], g[i], 1e-3, "weight " + w[i]);
        }
    }

    static double clip(double v) { return Math.max(-1, Math.min(1, v)); }

    static double loss(double[] c, int[] idx, float[] t) {
        double s = 0;
        for (int i = 0; i < idx.length; i++) s += (c[idx[i]] - t[i]) * (c[idx[i]] - t[i]);
        return s;
    }

    static Tensor positive(Tensor v, SplittableRandom r) {
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = (float) (0.5 + r.nextDouble());
        return Tensor.of(a, v.shape());
    }

    static Tensor jitter(Tensor v, SplittableRandom r) {
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        return Tensor.of(a, v.shape());
    }

    static Tensor gaussian(int... shape) {
        SplittableRandom r = new SplittableRandom(9);
        int n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return Tensor.of(a, shape);
    }
}
