package io.nnzip.lowrank;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.ShapeInference;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.util.linalg.Matrix;
import org.junit.jupiter.api.Test;

/**
 * Factorized layers against a direct computation: the output error the chosen rank implies, the rewritten graph
 * equal to one convolution with the reconstructed kernel, and every output model accepted by ONNX Runtime with
 * the engine's numbers.
 */
class FactorizeTest {
    static FactorizeConfig cfg(FactorizeConfig.Method m, Integer rank, Double energy, Double target) {
        return new FactorizeConfig(m, rank, energy, target, false, null, 2, 200, 1, 0);
    }

    /** {Σ σᵢ² beyond the {@code keep} largest, Σ σᵢ²} of a row-major rows×cols matrix, σ from EJML. */
    static double[] svEnergy(float[] w, int rows, int cols, int keep) {
        org.ejml.simple.SimpleMatrix wm = new org.ejml.simple.SimpleMatrix(rows, cols);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) wm.set(i, j, w[i * cols + j]);
        double[] sv = wm.svd(true).getSingularValues();
        java.util.Arrays.sort(sv);
        double tail = 0, total = 0;
        for (int i = 0; i < sv.length; i++) {
            total += sv[i] * sv[i];
            if (i < sv.length - keep) tail += sv[i] * sv[i];
        }
        return new double[] {tail, total};
    }

    static void assertOrtAgrees(Model m, Tensor x) {
        float[] ours = TestModels.run(m, x), ort = TestModels.runOrt(m, x);
        assertTrue(TestModels.relDiff(ours, ort) < 1e-5, "engine vs ONNX Runtime " + TestModels.relDiff(ours, ort));
    }

    @Test
    void svdOutputErrorIsTheDiscardedSingularValues() {
        Model mlp = TestModels.mlp(3, 40, 24, 10);
        // with X = I the layer's output is W + b, so the output error is exactly the kernel's: √(Σ_{i≥k} s_i²)
        Model one = TestModels.mlp(3, 40, 24);
        Tensor eye = Tensor.of(Matrix.identity(40).toFloats(), 40, 40);
        float[] y = TestModels.run(one, eye);
        FactorizePass.Result r = FactorizePass.run(one, cfg(FactorizeConfig.Method.SVD, 7, null, null));
        float[] yk = TestModels.run(r.model(), eye);
        // reference singular values from EJML, not from nnzip's own decomposition
        float[] w = one.graph().initializer(one.graph().node("fc1").input(1)).toFloats();
        int rows = one.graph().initializer(one.graph().node("fc1").input(1)).dim(0), cols = w.length / rows;
        double[] tt = svEnergy(w, rows, cols, 7);
        double tail = tt[0], total = tt[1];
        double err = 0;
        for (int i = 0; i < y.length; i++) err += (y[i] - (double) yk[i]) * (y[i] - (double) yk[i]);
        assertEquals(Math.sqrt(tail), Math.sqrt(err), 1e-5 * Math.sqrt(total));
        // the report's predicted and measured kernel errors both equal the relative tail energy
        assertEquals(Math.sqrt(tail / total), r.layers().getFirst().predictedError(), 1e-5);
        assertEquals(Math.sqrt(tail / total), r.layers().getFirst().kernelError(), 1e-5);
        assertEquals(7L * (40 + 24), r.paramsAfter() - 24);
        assertOrtAgrees(r.model(), TestModels.input(5, 3, 40));
        // the whole MLP too
        FactorizePass.Result all = FactorizePass.run(mlp, cfg(FactorizeConfig.Method.SVD, null, 0.9, null));
        assertOrtAgrees(all.model(), TestModels.input(6, 4, 40));
        assertTrue(all.model().metadata().get("nnzip.factorize").contains("\"energy\":0.9"));
    }

    @Test
    void spatialPairEqualsConvWithTheRankRKernel() {
        Model cnn = TestModels.cnn(11, 12, 6, 8, 8);
        Graph g = cnn.graph();
        ConvSite site = (ConvSite) ConvSite.of(g.node("conv2"), g, ShapeInference.infer(cnn));
        SpatialConvFactorizer f = new SpatialConvFactorizer(site);
        int rank = 4;
        Matrix approx = f.svd.reconstruct(rank);
        float[] w = new float[site.w().length];
        for (int n = 0; n < 8; n++) for (int c = 0; c < 6; c++) for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++)
            w[((n * 6 + c) * 3 + i) * 3 + j] = (float) approx.get(c * 3 + i, n * 3 + j);
        double kernelErr = TestModels.relDiff(w, site.w());
        assertEquals(Math.sqrt(f.svd.tailEnergy(rank) / f.svd.totalEnergy()), kernelErr, 1e-6);
        Model direct = TestModels.singleConv(w, 8, 6, 3, 3, 12, 12, new long[] {2, 2}, new long[] {1, 1, 1, 1},
                g.initializer("conv2.bias").floats());
        Model layer = TestModels.singleConv(site.w(), 8, 6, 3, 3, 12, 12, new long[] {2, 2}, new long[] {1, 1, 1, 1},
                g.initializer("conv2.bias").floats());
        layer.graph().nodes().getFirst().setName("conv2");
        FactorizePass.Result r = FactorizePass.run(layer, cfg(FactorizeConfig.Method.SPATIAL, rank, null, null));
        Tensor x = TestModels.input(12, 2, 6, 12, 12);
        assertTrue(TestModels.relDiff(TestModels.run(r.model(), x), TestModels.run(direct, x)) < 1e-5);
        assertEquals(kernelErr, r.layers().getFirst().kernelError(), 1e-6);
        assertEquals(2, r.model().graph().nodes().size());
        assertOrtAgrees(r.model(), x);
        assertEquals(r.layers().getFirst().macsAfter(), ModelStats.of(r.model()).macs);
    }

    @Test
    void tuckerCoreAndFactorsEqualConvWithTheReconstructedKernel() {
        Model layer = TestModels.singleConv(TestModels.gaussian(16 * 12 * 9, 0.2, 5), 16, 12, 3, 3, 10, 10, new long[] {1, 1},
                new long[] {1, 1, 1, 1}, TestModels.gaussian(16, 0.1, 6));
        layer.graph().nodes().getFirst().setName("c");
        ConvSite site = (ConvSite) ConvSite.of(layer.graph().node("c"), layer.graph(), ShapeInference.infer(layer));
        TuckerConvFactorizer f = new TuckerConvFactorizer(site, 2);
        Choice ch = f.forRank(6);
        Tucker2 t = f.decompose(ch);
        assertTrue(t.uOut.orthonormalityError() < 1e-10 && t.uIn.orthonormalityError() < 1e-10);
        double[] rec = t.reconstruct(9);
        float[] wr = new float[rec.length];
        for (int i = 0; i < rec.length; i++) wr[i] = (float) rec[i];
        double err = TestModels.relDiff(wr, site.w());
        assertTrue(err <= ch.predictedError() + 1e-6, "HOOI error " + err + " above the HOSVD bound " + ch.predictedError());
        FactorizePass.Result r = FactorizePass.run(layer, cfg(FactorizeConfig.Method.TUCKER, 6, null, null));
        Model direct = TestModels.singleConv(wr, 16, 12, 3, 3, 10, 10, new long[] {1, 1}, new long[] {1, 1, 1, 1},
                layer.graph().initializer(layer.graph().nodes().getFirst().input(2)).floats());
        Tensor x = TestModels.input(13, 2, 12, 10, 10);
        assertTrue(TestModels.relDiff(TestModels.run(r.model(), x), TestModels.run(direct, x)) < 1e-5);
        assertEquals(err, r.layers().getFirst().kernelError(), 1e-6);
        assertEquals(3, r.model().graph().nodes().size());
        assertEquals(r.layers().getFirst().macsAfter(), ModelStats.of(r.model()).macs);
        assertOrtAgrees(r.model(), x);
        // full ranks reproduce the layer
        assertTrue(f.apply(layer.copy().graph(), f.forRank(16)) < 1e-12);
    }

    @Test
    void cpRecoversAnExactlyLowRankKernelAndMatchesDirectConv() {
        int k = 8, c = 6, rank = 3;
        float[] a = TestModels.gaussian(k * rank, 1, 1), b = TestModels.gaussian(c * rank, 1, 2), y = TestModels.gaussian(3 * rank, 1, 3),
                x = TestModels.gaussian(3 * rank, 1, 4);
        float[] w = new float[k * c * 9];
        for (int n = 0; n < k; n++) for (int ch = 0; ch < c; ch++) for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int q = 0; q < rank; q++) s += (double) a[n * rank + q] * b[ch * rank + q] * y[i * rank + q] * x[j * rank + q];
            w[((n * c + ch) * 3 + i) * 3 + j] = (float) s;
        }
        Model layer = TestModels.singleConv(w, k, c, 3, 3, 9, 9, new long[] {2, 1}, new long[] {1, 0, 1, 2}, TestModels.gaussian(k, 0.1, 9));
        layer.graph().nodes().getFirst().setName("c");
        FactorizePass.Result r = FactorizePass.run(layer, cfg(FactorizeConfig.Method.CP, rank, null, null));
        assertTrue(r.layers().getFirst().kernelError() < 1e-4, "CP-ALS on an exact rank-3 kernel: " + r.layers().getFirst().kernelError());
        Tensor in = TestModels.input(14, 2, c, 9, 9);
        assertTrue(TestModels.relDiff(TestModels.run(r.model(), in), TestModels.run(layer, in)) < 1e-4);
        assertEquals(4, r.model().graph().nodes().size());
        assertOrtAgrees(r.model(), in);
        // a generic kernel: the graph computes exactly the reconstructed kernel
        Model generic = TestModels.singleConv(TestModels.gaussian(k * c * 9, 0.3, 21), k, c, 3, 3, 9, 9, new long[] {1, 1},
                new long[] {1, 1, 1, 1}, null);
        generic.graph().nodes().getFirst().setName("g");
        ConvSite site = (ConvSite) ConvSite.of(generic.graph().node("g"), generic.graph(), ShapeInference.infer(generic));
        CpConvFactorizer f = new CpConvFactorizer(site, 300, 1);
        CpAls cp = f.decompose(5);
        double[] rec = CpAls.reconstruct(f.dims, cp.factors, 5);
        float[] wr = new float[rec.length];
        for (int i = 0; i < rec.length; i++) wr[i] = (float) rec[i];
        Graph g2 = generic.copy().graph();
        f.apply(g2, f.forRank(5));
        Model m2 = new Model(g2);
        m2.opsets().put("", 13L);
        Model direct = TestModels.singleConv(wr, k, c, 3, 3, 9, 9, new long[] {1, 1}, new long[] {1, 1, 1, 1}, null);
        assertTrue(TestModels.relDiff(TestModels.run(m2, in), TestModels.run(direct, in)) < 1e-4);
        assertEquals(cp.relativeError, TestModels.relDiff(wr, site.w()), 1e-5);
        // more rank never fits worse
        assertTrue(f.decompose(12).relativeError <= cp.relativeError + 1e-9);
    }

    @Test
    void targetMacsIsMetByGlobalSelection() {
        Model cnn = TestModels.cnn(31, 16, 8, 16, 16);
        Tensor x = TestModels.input(32, 2, 1, 16, 16);
        for (FactorizeConfig.Method m : new FactorizeConfig.Method[] {FactorizeConfig.Method.TUCKER, FactorizeConfig.Method.CP,
                FactorizeConfig.Method.SPATIAL}) {
            FactorizePass.Result r = FactorizePass.run(cnn, cfg(m, null, null, 0.6));
            assertTrue(r.macsAfter() <= 0.6 * r.macsBefore(), m + ": " + r.macsAfter() + " of " + r.macsBefore());
            assertTrue(r.macsAfter() > 0.3 * r.macsBefore(), m + " overshoots the budget: " + r.macsAfter() + " of " + r.macsBefore());
            assertOrtAgrees(r.model(), x);
        }
        Model mlp = TestModels.mlp(4, 64, 48, 32, 10);
        FactorizePass.Result r = FactorizePass.run(mlp, cfg(FactorizeConfig.Method.SVD, null, null, 0.45));
        assertTrue(r.macsAfter() <= 0.45 * r.macsBefore());
        assertOrtAgrees(r.model(), TestModels.input(33, 3, 64));
        assertThrows(NnzipException.class, () -> FactorizePass.run(mlp, cfg(FactorizeConfig.Method.SVD, null, null, 0.001)));
    }

    @Test
    void layerPatternAndBadOptionsAreUserErrors() {
        Model cnn = TestModels.cnn(41, 8, 4, 8, 8);
        FactorizePass.Result r = FactorizePass.run(cnn, new FactorizeConfig(FactorizeConfig.Method.TUCKER, 2, null, null, false, "conv3", 1, 10, 1, 0));
        assertEquals(1, r.layers().stream().filter(l -> l.status().equals("factorized")).count());
        assertEquals("conv3", r.layers().stream().filter(l -> l.status().equals("factorized")).findFirst().orElseThrow().layer());
        assertThrows(NnzipException.class, () -> FactorizePass.run(cnn, new FactorizeConfig(FactorizeConfig.Method.TUCKER, 2, null, null, false, "nope", 1, 10, 1, 0)));
        assertThrows(NnzipException.class, () -> FactorizePass.run(cnn, new FactorizeConfig(FactorizeConfig.Method.TUCKER, 2, 0.9, null, false, null, 1, 10, 1, 0)));
        assertThrows(NnzipException.class, () -> FactorizePass.run(cnn, cfg(FactorizeConfig.Method.SVD, null, 1.5, null)));
        // the input model is left untouched
        assertEquals(cnn, TestModels.cnn(41, 8, 4, 8, 8));
    }

    @Test
    void vbmfFindsThePlantedRankUnderNoise() {
        int m = 60, n = 40, planted = 5;
        Matrix signal = io.nnzip.util.LinalgTest.withSpectrum(m, n, new double[] {60, 50, 40, 35, 30}, 3);
        float[] noise = TestModels.gaussian(m * n, 1, 8);
        for (int i = 0; i < signal.a.length; i++) signal.a[i] += noise[i];
        io.nnzip.util.linalg.Svd svd = io.nnzip.util.linalg.Svd.of(signal);
        assertEquals(planted, Vbmf.rank(svd.s, m, n, svd.totalEnergy()));
        // pure noise has no signal components beyond the forced minimum of one
        Matrix pure = new Matrix(m, n);
        for (int i = 0; i < pure.a.length; i++) pure.a[i] = noise[i];
        io.nnzip.util.linalg.Svd s2 = io.nnzip.util.linalg.Svd.of(pure);
        assertEquals(1, Vbmf.rank(s2.s, m, n, s2.totalEnergy()));
    }
}
