package io.nnzip.lowrank;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tensor-Train, block-term and data-driven asymmetric SVD against references computed here: the dense kernel the
 * written cores imply (contracted by plain loops), ONNX Runtime on the written model, brute-force minimization,
 * and hand counts of parameters.
 */
class FactorizeMethodsTest {
    static FactorizeConfig cfg(FactorizeConfig.Method m, int rank, String layers, int ttCores, int blocks) {
        return new FactorizeConfig(m, rank, null, null, false, layers, 2, 200, 1, 0).with(ttCores, blocks, 20, 256);
    }

    static Tensor init(Graph g, String part) {
        return g.initializers().entrySet().stream().filter(e -> e.getKey().contains(part)).findFirst().orElseThrow().getValue();
    }

    @Test
    void ttCoresMultiplyOutToTheLayerAndOrtRunsThem() {
        Model one = TestModels.mlp(3, 40, 24);
        // 40 = 8·5 and 24 = 6·4: cores (1,8,6,r) and (r,5,4,1) -> 48r + 20r parameters
        FactorizePass.Result r = FactorizePass.run(one, cfg(FactorizeConfig.Method.TT, 3, null, 2, 1));
        assertEquals(3 * (8 * 6 + 5 * 4), r.layers().getFirst().paramsAfter());
        // the model also holds the bias and the five Reshape shapes (4 + 2 + 4 + 2 + 2 int64 values)
        assertEquals(3 * (8 * 6 + 5 * 4) + 24 + 14, r.paramsAfter());
        Graph g = r.model().graph();
        float[] g1 = init(g, "tt_core0").floats(), g2 = init(g, "tt_core1").floats();
        // W[(i1 i2),(j1 j2)] = Σ_a G1[i1, j1 a] G2[a i2, j2]
        float[] w = new float[40 * 24];
        for (int i1 = 0; i1 < 8; i1++) for (int i2 = 0; i2 < 5; i2++) for (int j1 = 0; j1 < 6; j1++) for (int j2 = 0; j2 < 4; j2++) {
            double s = 0;
            for (int a = 0; a < 3; a++) s += g1[i1 * 18 + j1 * 3 + a] * g2[(a * 5 + i2) * 4 + j2];
            w[(i1 * 5 + i2) * 24 + j1 * 4 + j2] = (float) s;
        }
        float[] b = one.graph().initializer("fc1.bias").floats(), orig = one.graph().initializer("fc1.weight").floats();
        Tensor x = TestModels.input(4, 5, 40);
        float[] want = new float[5 * 24];
        for (int n = 0; n < 5; n++) for (int o = 0; o < 24; o++) {
            double s = b[o];
            for (int i = 0; i < 40; i++) s += x.floats()[n * 40 + i] * w[i * 24 + o];
            want[n * 24 + o] = (float) s;
        }
        assertTrue(TestModels.relDiff(TestModels.runOrt(r.model(), x), want) < 1e-5);
        assertTrue(TestModels.relDiff(TestModels.run(r.model(), x), want) < 1e-5);
        // TT-SVD's error is exactly the discarded singular values (predicted) and the written kernel's (measured)
        float[] wt = new float[w.length];
        for (int o = 0; o < 24; o++) for (int i = 0; i < 40; i++) wt[i * 24 + o] = orig[o * 40 + i];
        assertEquals(TestModels.relDiff(w, wt), r.layers().getFirst().kernelError(), 1e-5);
        assertEquals(r.layers().getFirst().predictedError(), r.layers().getFirst().kernelError(), 1e-6);
        // full TT ranks represent the layer exactly, through three cores and the whole MLP
        Model mlp = TestModels.mlp(5, 60, 30, 10);
        FactorizePass.Result full = FactorizePass.run(mlp, cfg(FactorizeConfig.Method.TT, 1000, "fc1", 3, 1));
        Tensor x2 = TestModels.input(6, 3, 60);
        assertTrue(TestModels.relDiff(TestModels.runOrt(full.model(), x2), TestModels.run(mlp, x2)) < 1e-5);
        assertEquals(full.layers().getFirst().macsAfter(), ModelStats.of(full.model()).macs - (ModelStats.of(mlp).macs - 60 * 30));
    }

    @Test
    void ttModesAreBalancedFactors() {
        assertArrayEquals(new int[] {14, 8, 7}, TtLinearFactorizer.modes(784, 3));
        assertArrayEquals(new int[] {10, 6, 5}, TtLinearFactorizer.modes(300, 3));
        assertArrayEquals(new int[] {13, 1}, TtLinearFactorizer.modes(13, 2));
    }

    @Test
    void btdIsConvWithTheSumOfItsBlocksAndBeatsOneBlock() {
        int k = 16, c = 12, br = 3, blocks = 2;
        Model layer = TestModels.singleConv(TestModels.gaussian(k * c * 9, 0.2, 5), k, c, 3, 3, 10, 10, new long[] {2, 1},
                new long[] {1, 1, 0, 1}, TestModels.gaussian(k, 0.1, 6));
        layer.graph().nodes().getFirst().setName("conv");
        FactorizePass.Result r = FactorizePass.run(layer, cfg(FactorizeConfig.Method.BTD, br, null, 4, blocks));
        Graph g = r.model().graph();
        assertEquals(3, g.nodes().size());
        float[] first = init(g, "btd_in").floats(), core = init(g, "btd_core").floats(), last = init(g, "btd_out").floats();
        int w6 = blocks * br;
        assertEquals(c * w6 + w6 * br * 9 + k * w6 + k, r.paramsAfter());
        float[] w = new float[k * c * 9];
        for (int n = 0; n < k; n++) for (int ch = 0; ch < c; ch++) for (int x = 0; x < 9; x++) {
            double s = 0;
            for (int b = 0; b < blocks; b++) for (int a = 0; a < br; a++) for (int j = 0; j < br; j++)
                s += last[n * w6 + b * br + a] * core[((b * br + a) * br + j) * 9 + x] * first[(b * br + j) * c + ch];
            w[(n * c + ch) * 9 + x] = (float) s;
        }
        Model direct = TestModels.singleConv(w, k, c, 3, 3, 10, 10, new long[] {2, 1}, new long[] {1, 1, 0, 1},
                layer.graph().initializers().values().stream().filter(t -> t.rank() == 1).findFirst().orElseThrow().floats());
        Tensor x = TestModels.input(7, 2, c, 10, 10);
        assertTrue(TestModels.relDiff(TestModels.runOrt(r.model(), x), TestModels.run(direct, x)) < 1e-5);
        float[] orig = layer.graph().initializer(layer.graph().nodes().getFirst().input(1)).floats();
        double err = TestModels.relDiff(w, orig);
        assertEquals(err, r.layers().getFirst().kernelError(), 1e-5);
        // the first block alone is Tucker-2 of the same rank; the sum can only be closer
        FactorizePass.Result tucker = FactorizePass.run(layer, cfg(FactorizeConfig.Method.TUCKER, br, null, 4, 1));
        assertTrue(err < tucker.layers().getFirst().kernelError() - 1e-3, err + " vs Tucker " + tucker.layers().getFirst().kernelError());
    }

    @Test
    void zStepIsTheBruteForceMinimum() {
        for (double r : new double[] {0, 0.3, 2}) for (double u : new double[] {-1.5, -0.1, 0.2, 1.7}) for (double lambda : new double[] {0.01, 1}) {
            double best = Double.MAX_VALUE, arg = 0;
            for (int i = -40000; i <= 40000; i++) {
                double z = i * 1e-4, c = Math.pow(r - Math.max(0, z), 2) + lambda * (z - u) * (z - u);
                if (c < best) { best = c; arg = z; }
            }
            double z = AsymSvdLinearFactorizer.bestZ(r, u, lambda);
            double cz = Math.pow(r - Math.max(0, z), 2) + lambda * (z - u) * (z - u);
            assertEquals(best, cz, 1e-6, "r=" + r + " u=" + u + " λ=" + lambda + " argmin " + arg + " got " + z);
        }
    }

    @Test
    void asymmetricSvdFitsTheReluOutputsBetterThanPlainSvd() {
        Model mlp = TestModels.mlp(9, 30, 20, 10);
        Tensor calib = TestModels.input(11, 400, 30);
        FactorizeConfig svd = cfg(FactorizeConfig.Method.SVD, 4, null, 4, 2), asym = cfg(FactorizeConfig.Method.SVD_ASYM, 4, null, 4, 2);
        Model plain = FactorizePass.run(mlp, svd).model(), fitted = FactorizePass.run(mlp, asym, calib).model();
        Tensor test = TestModels.input(12, 200, 30);
        float[] want = TestModels.runOrt(mlp, test);
        double ePlain = TestModels.relDiff(TestModels.runOrt(plain, test), want), eAsym = TestModels.relDiff(TestModels.runOrt(fitted, test), want);
        assertTrue(eAsym < 0.95 * ePlain, "asym " + eAsym + " vs plain " + ePlain);
        assertTrue(TestModels.relDiff(TestModels.run(fitted, test), TestModels.runOrt(fitted, test)) < 1e-5);
        assertEquals(ModelStats.of(plain).params, ModelStats.of(fitted).params - 0, 30);
        assertTrue(fitted.metadata().get("nnzip.factorize").contains("\"method\":\"svd_asym\""), fitted.metadata().get("nnzip.factorize"));
    }
}
