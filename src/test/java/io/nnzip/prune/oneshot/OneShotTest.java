package io.nnzip.prune.oneshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.prune.WeightMasks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SparseGPT and Wanda one-shot pruning. The layer-level reference is the reconstruction error ‖(W − Ŵ)X‖² on the
 * calibration inputs, computed here directly: SparseGPT's must be below plain magnitude pruning's at the same
 * sparsity pattern. On the PyTorch-exported ViT, 2:4 leaves exactly two zeros in every four consecutive weights
 * along each layer's reduction axis, and ONNX Runtime runs the result.
 */
class OneShotTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    /** Inputs with correlated features of unequal scale, as real activations have (where reconstruction matters). */
    private static double[][] inputs(int n, int k, SplittableRandom r) {
        double[][] mix = new double[k][k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) mix[i][j] = r.nextGaussian() * (j < 4 ? 1 : 0.3);
        double[][] x = new double[n][k];
        for (int s = 0; s < n; s++) {
            double[] z = new double[k];
            for (int j = 0; j < k; j++) z[j] = r.nextGaussian() * (1 + j % 5);
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) x[s][i] += mix[i][j] * z[j] / k;
        }
        return x;
    }

    private static double error(double[] w, double[] wp, int rows, int cols, double[][] x) {
        double e = 0;
        for (double[] v : x)
            for (int r = 0; r < rows; r++) {
                double d = 0;
                for (int c = 0; c < cols; c++) d += (w[r * cols + c] - wp[r * cols + c]) * v[c];
                e += d * d;
            }
        return e;
    }

    private static double[] gram(double[][] x, int k) {
        double[] h = new double[k * k];
        for (double[] v : x) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) h[i * k + j] += v[i] * v[j];
        return h;
    }

    /** Magnitude pruning with the same pattern: per row 2 of 4, or the smallest half of each row. */
    private static double[] magnitude(double[] w, int rows, int cols, int[] nm, double amount) {
        double[] out = w.clone();
        int group = nm != null ? nm[1] : cols, drop = nm != null ? nm[1] - nm[0] : (int) (amount * cols);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g + group <= cols; g += group) {
                Integer[] o = new Integer[group];
                for (int j = 0; j < group; j++) o[j] = g + j;
                final int row = r;
                java.util.Arrays.sort(o, (a, b) -> Double.compare(Math.abs(w[row * cols + a]), Math.abs(w[row * cols + b])));
                for (int j = 0; j < drop; j++) out[r * cols + o[j]] = 0;
            }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"2:4", "0.5"})
    void sparseGptReconstructsBetterThanMagnitude(String pattern) {
        SplittableRandom r = new SplittableRandom(7);
        int rows = 24, cols = 48;
        double[][] x = inputs(400, cols, r);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
        int[] nm = pattern.contains(":") ? new int[] {2, 4} : null;
        double amount = nm == null ? Double.parseDouble(pattern) : 0;
        double[] sg = w.clone();
        boolean[] mask = Obs.sparseGpt(sg, rows, cols, gram(x, cols), amount, nm, 0.01);
        int zeros = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) assertEquals(0.0, sg[i], "masked weight left non-zero");
            zeros += sg[i] == 0 ? 1 : 0;
        }
        assertEquals(rows * cols / 2, zeros);
        double eMag = error(w, magnitude(w, rows, cols, nm, 0.5), rows, cols, x), eSg = error(w, sg, rows, cols, x);
        double[] wd = w.clone();
        Obs.wanda(wd, rows, cols, gram(x, cols), 0.5, nm);
        double eWanda = error(w, wd, rows, cols, x);
        assertTrue(eSg < 0.7 * eMag, "SparseGPT error " + eSg + " vs magnitude " + eMag);
        assertTrue(eWanda < eMag, "Wanda error " + eWanda + " vs magnitude " + eMag);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sparsegpt", "wanda"})
    void twoOfEveryFourOnTheVit(String method) {
        Model m = OnnxReader.read(DIR.resolve("vit_op17.onnx"));
        io.nnzip.engine.Canonical.apply(m);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        WeightMasks masks = OneShotPruner.prune(m, method, 0, new int[] {2, 4}, List.of(Map.of("input", a.get("x"))), 1, s -> { });
        int layers = 0;
        for (LayerSite s : LayerSite.find(m.graph())) {
            double[] w = s.matrix(m.graph().initializer(s.weight));
            for (int r = 0; r < s.rows; r++)
                for (int c = 0; c + 4 <= s.cols; c += 4) {
                    int z = 0;
                    for (int j = 0; j < 4; j++) z += w[r * s.cols + c + j] == 0 ? 1 : 0;
                    assertEquals(2, z, s.weight + " row " + r + " columns " + c + "..");
                }
            assertTrue(masks.all().containsKey(s.weight));
            layers++;
        }
        assertEquals(18, layers); // patch conv, 4 × (qkv, proj, fc1, fc2), head
        try (OrtRunner r = OrtRunner.exposing(m, List.of(), 2)) {
            assertEquals(List.of(8, 10), java.util.Arrays.stream(r.run(Map.of("input", a.get("x"))).get("logits").shape()).boxed().toList());
        }
    }
}
