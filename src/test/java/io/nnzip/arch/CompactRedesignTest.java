package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.eval.ModelStats;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.GraphRewrites;
import io.nnzip.lowrank.TestModels;
import io.nnzip.train.Losses;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ShuffleNet, fire-module and wavelet-input redesigns: ONNX Runtime against the engine on the written graphs, MACs
 * counted by hand, the channel shuffle's permutation against its definition, and gradients through the new blocks
 * (shuffle, grouped convolutions, concatenation) against finite differences.
 */
class CompactRedesignTest {
    // TestModels.cnn(7, 12, 8, 16, 16): conv1 1→8 at 12×12 (stem, kept); conv2 8→16 3×3 stride 2 pad 1, 12×12 → 6×6;
    // conv3 16→16 3×3 pad 1 at 6×6. Original MACs: conv2 16·8·9·36 = 41472, conv3 16·16·9·36 = 82944.
    private static final long CONV23 = 41472 + 82944;

    @Test
    void channelShuffleIsTheGroupTransposeInTheEngineAndInOrt() {
        int groups = 2, c = 6, h = 2, w = 3;
        GraphBuilder b = new GraphBuilder("shuffle");
        b.input("input", DType.FLOAT, -1, c, h, w);
        b.graph().nodes().addAll(CompactBlocks.channelShuffle(b.graph(), new GraphRewrites.Names(b.graph(), "s"), "input", "output", c, groups, h, w));
        b.output("output", DType.FLOAT, -1, c, h, w);
        Model m = b.build(13);
        int n = 2;
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = i; // distinct values: image, channel and pixel recoverable
        Tensor in = Tensor.of(x, n, c, h, w);
        // ShuffleNet: channels (g, m) viewed as a g×m matrix, transposed, flattened: output channel j·g + i = input channel i·m + j
        int mm = c / groups;
        float[] want = new float[x.length];
        for (int img = 0; img < n; img++)
            for (int i = 0; i < groups; i++)
                for (int j = 0; j < mm; j++)
                    System.arraycopy(x, (img * c + i * mm + j) * h * w, want, (img * c + j * groups + i) * h * w, h * w);
        assertArrayEquals(want, TestModels.run(m, in));
        assertArrayEquals(want, TestModels.runOrt(m, in));
    }

    @Test
    void shuffleUnitsRunInOrtAndCountTheirMacs() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        DepthwiseSeparableRedesign.Result r = ShuffleRedesign.run(cnn, new ShuffleConfig(null, 4, 4, 1f, 0, 3, 0));
        // middle = 16 channels; conv2: 8/4·16·144 + 16·9·36 + 16/4·16·36 = 4608 + 5184 + 2304;
        // conv3: 16/4·16·36 + 16·9·36 + 16/4·16·36 = 2304 + 5184 + 2304
        long conv2 = 4608 + 5184 + 2304, conv3 = 2304 + 5184 + 2304;
        assertEquals(List.of("kept: only 1 input channels (stem)", "redesigned", "redesigned"), r.layers().stream().map(DepthwiseSeparableRedesign.LayerResult::status).toList());
        assertEquals(conv2, r.layers().get(1).macsAfter());
        assertEquals(conv3, r.layers().get(2).macsAfter());
        assertEquals(CONV23 - conv2 - conv3, r.macsBefore() - r.macsAfter());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        assertEquals(2, r.model().graph().nodes().stream().filter(n -> n.opType().equals("Transpose")).count());
        Tensor x = TestModels.input(10, 3, 1, 12, 12);
        float[] engine = TestModels.run(r.model(), x), ort = TestModels.runOrt(r.model(), x);
        assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
        assertTrue(r.model().metadata().get("nnzip.redesign").contains("groups"));
        // 3 groups do not divide 8 or 16 channels: the layers stay, and with none left the pass says so
        DepthwiseSeparableRedesign.Result none = ShuffleRedesign.run(cnn, new ShuffleConfig(null, 4, 3, 1f, 0, 3, 0));
        assertTrue(none.layers().get(1).status().startsWith("kept: 8 → 16 channels do not split into 3 groups"), none.layers().get(1).status());
        assertEquals(none.macsBefore(), none.macsAfter());
    }

    @Test
    void fireModulesRunInOrtAndCountTheirMacs() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        DepthwiseSeparableRedesign.Result r = FireRedesign.run(cnn, new FireConfig(null, 4, 0.25f, 0.5f, 0, 3, 0));
        // squeeze 4, expand 8 + 8; conv2: 8·4·144 + 4·8·36 + 4·8·9·36 = 4608 + 1152 + 10368 (1×1 branch at stride 2: 12 → 6)
        // conv3: 16·4·36 + 4·8·36 + 4·8·9·36 = 2304 + 1152 + 10368
        long conv2 = 4608 + 1152 + 10368, conv3 = 2304 + 1152 + 10368;
        assertEquals(conv2, r.layers().get(1).macsAfter());
        assertEquals(conv3, r.layers().get(2).macsAfter());
        assertEquals(CONV23 - conv2 - conv3, r.macsBefore() - r.macsAfter());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        Tensor x = TestModels.input(11, 3, 1, 12, 12);
        float[] engine = TestModels.run(r.model(), x), ort = TestModels.runOrt(r.model(), x);
        assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
    }

    @Test
    void fittedBlocksReportTheirTrueOutputErrorAndBeatTheRandomStart() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        Tensor calib = TestModels.input(9, 24, 1, 12, 12);
        for (boolean shuffle : new boolean[] {true, false}) {
            DepthwiseSeparableRedesign.Result r = shuffle ? ShuffleRedesign.run(cnn, new ShuffleConfig("conv2", 4, 4, 1f, 150, 3, 0), calib)
                    : FireRedesign.run(cnn, new FireConfig("conv2", 4, 0.5f, 0.5f, 150, 3, 0), calib);
            DepthwiseSeparableRedesign.LayerResult conv2 = r.layers().getFirst(); // only conv2 matches --layers
            assertEquals("conv2", conv2.layer());
            assertTrue(conv2.fitErrorAfter() < 0.8 * conv2.fitErrorInit(), conv2.toString());
            // the first redesigned layer reads the original input, so its error is measurable from outside
            String out = cnn.graph().node("conv2").output(0);
            Tensor orig = Calibration.capture(cnn, "input", calib, List.of(out), 64).get(out);
            Tensor mine = Calibration.capture(r.model(), "input", calib, List.of(out), 64).get(out);
            assertEquals(conv2.fitErrorAfter(), TestModels.relDiff(mine.floats(), orig.floats()), 1e-4, conv2.toString());
        }
    }

    @Test
    void gradientsThroughShuffleAndFireBlocksMatchFiniteDifferences() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        for (Model m : List.of(ShuffleRedesign.run(cnn, new ShuffleConfig(null, 4, 4, 1f, 0, 3, 0)).model(),
                FireRedesign.run(cnn, new FireConfig(null, 4, 0.25f, 0.5f, 0, 3, 0)).model())) {
            // smooth activations so central differences do not straddle a ReLU kink; the blocks' own ops are what is checked
            for (Node n : m.graph().nodes()) if (n.opType().equals("Relu")) n.setOpType("Tanh");
            // weights before the shuffle / concatenation (their gradient passes through it) and after it
            List<String> params = m.graph().initializers().keySet().stream()
                    .filter(k -> k.startsWith("conv2") && (k.contains("gconv1.weight") || k.contains("squeeze.weight") || k.contains("gconv2.weight")
                            || k.contains("expand3.weight") || k.contains("expand1.bias"))).toList();
            assertTrue(params.size() >= 2, params.toString());
            Tape tape = new Tape(m.graph(), m.opset(), new Parallel(2), 0);
            Tensor x = TestModels.input(12, 4, 1, 12, 12);
            int[] labels = {1, 7, 3, 0};
            Tensor z = tape.forward(Map.of("input", x), false).get("output");
            float[] dz = new float[40];
            Losses.softmaxCrossEntropy(z.floats(), labels, 4, 10, 0f, dz);
            Map<String, Tensor> g = new Backprop(tape, params).run(Map.of("output", Tensor.of(dz, 4, 10)));
            for (String p : params) {
                float[] w = m.graph().initializer(p).floats(), an = g.get(p).floats().clone();
                for (int i = 0; i < w.length; i += Math.max(1, w.length / 24)) {
                    float orig = w[i], h = 1e-2f;
                    w[i] = orig + h;
                    double lp = loss(tape, x, labels);
                    w[i] = orig - h;
                    double lm = loss(tape, x, labels);
                    w[i] = orig;
                    double num = (lp - lm) / (2 * h);
                    assertEquals(num, an[i], 2e-3 + 2e-2 * Math.abs(num), p + "[" + i + "]");
                }
            }
        }
    }

    private static float loss(Tape t, Tensor x, int[] labels) {
        return Losses.softmaxCrossEntropy(t.forward(Map.of("input", x), false).get("output").floats(), labels, 4, 10, 0f, null);
    }

    @Test
    void waveletInputOnAPyTorchExportRunsInOrtAndCountsItsMacs() throws Exception {
        Model cnn = io.nnzip.engine.ModelValidator.read(Path.of("src/test/resources/pytorch-normalized/cnn.onnx"));
        WaveletInput.Result r = WaveletInput.run(cnn, new WaveletInputConfig(8, "logits", 1, 0));
        // on the 14×14 low-frequency image, with the second (last) MaxPool gone:
        // /0/Conv 16·1·9·14·14 = 28224, /3/Conv 32·16·9·7·7 = 225792, /6/Conv 32·32·9·7·7 = 451584 (it had 7×7 before too),
        // Gemm 10·1568 = 15680; split 2 · 1·4·14·14 = 1568; branch 8·9·7·7 = 3528, 8·8·9·7·7 = 28224, Gemm 8·10 = 80
        assertEquals("/5/MaxPool", r.removedPooling());
        assertEquals(28224 + 225792 + 451584 + 15680 + 1568 + 3528 + 28224 + 80, r.macsAfter());
        assertEquals(784 + 3528 + 28224 + 80, r.branchMacs());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        Tensor x = TestModels.input(13, 3, 1, 28, 28);
        float[] engine = new Executor(r.model()).run(Map.of("input", x)).get("logits").floats();
        float[] ort;
        try (OrtRunner o = new OrtRunner(r.model(), 1)) {
            ort = o.run(Map.of("input", x)).get("logits").floats();
        }
        assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
        // without calibration images the split starts as Haar: the branch's classifier starts at zero, so the model is the network on the 2×2 average of the image, which
        // (average then 2×2 max pool) the hand-computed average of x through the original graph's layers shows
        float[] avg = new float[3 * 14 * 14];
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 14; i++)
                for (int j = 0; j < 14; j++) {
                    float s = 0;
                    for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) s += x.floats()[n * 784 + (2 * i + a) * 28 + 2 * j + b];
                    avg[(n * 14 + i) * 14 + j] = s / 4;
                }
        String low = r.model().graph().nodes().stream().filter(nd -> nd.name().startsWith("wavelet_low")).findFirst().orElseThrow().output(0);
        float[] lowEngine = new Executor(r.model()).run(Map.of("input", x), List.of(low)).get(low).floats();
        assertArrayEquals(avg, lowEngine, 1e-5f);
    }

    @Test
    void waveletBranchFeaturesJoinTheFirstFullyConnectedLayerAsAConcatenatedInputWould() throws Exception {
        Model cnn = io.nnzip.engine.ModelValidator.read(Path.of("src/test/resources/pytorch-normalized/cnn.onnx"));
        Tensor calib = TestModels.input(5, 16, 1, 28, 28);
        WaveletInput.Result r = WaveletInput.run(cnn, new WaveletInputConfig(8, "features", 1, 0), calib);
        // the Gemm reads /6/Conv's 32×7×7 map; the branch map is 7×7 too, so no pooling: 8·49 = 392 features → 10
        assertEquals(28224 + 225792 + 451584 + 15680 + 1568 + 3528 + 28224 + 3920, r.macsAfter());
        assertEquals(784 + 3528 + 28224 + 3920, r.branchMacs());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        assertEquals("klt", r.split().init());
        Model m = r.model();
        String wf = m.graph().initializers().keySet().stream().filter(k -> k.startsWith("wavelet_branch.fc.weight")).findFirst().orElseThrow();
        float[] wv = m.graph().initializers().get(wf).floats();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int i = 0; i < wv.length; i++) wv[i] = (float) (rnd.nextDouble() - 0.5);
        Tensor x = TestModels.input(13, 3, 1, 28, 28);
        String main = m.graph().nodes().stream().filter(nd -> nd.opType().equals("Add") && nd.name().startsWith("wavelet_fuse")).findFirst().orElseThrow().input(0);
        String feat = m.graph().nodes().stream().filter(nd -> nd.name().startsWith("wavelet_branch.relu2")).findFirst().orElseThrow().output(0);
        Map<String, Tensor> got = new Executor(m).run(Map.of("input", x), List.of("logits", main, feat));
        // the join by hand: network scores plus W·flatten(branch map), which is Gemm([a, f]) with [W_a, W]
        float[] mainV = got.get(main).floats(), f = got.get(feat).floats(), want = new float[3 * 10];
        for (int n = 0; n < 3; n++)
            for (int k = 0; k < 10; k++) {
                double s = mainV[n * 10 + k];
                for (int j = 0; j < 392; j++) s += wv[k * 392 + j] * f[n * 392 + j];
                want[n * 10 + k] = (float) s;
            }
        assertTrue(TestModels.relDiff(want, got.get("logits").floats()) < 1e-5);
        float[] ort;
        try (OrtRunner o = new OrtRunner(m, 1)) {
            ort = o.run(Map.of("input", x)).get("logits").floats();
        }
        assertTrue(TestModels.relDiff(ort, got.get("logits").floats()) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, got.get("logits").floats()));
    }

    @Test
    void theKltSplitReconstructsPatchesBetterThanAnyOtherPairAndReportsItsLoss() {
        // patches with unequal energy in the four positions and correlations between them
        int n = 40, h = 8, w = 8;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        float[] x = new float[n * h * w];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y += 2)
                for (int xx = 0; xx < w; xx += 2) {
                    double a = rnd.nextGaussian() + 1, b = rnd.nextGaussian() * 0.6, c = rnd.nextGaussian() * 0.3, d = rnd.nextGaussian() * 0.1;
                    int o = i * h * w + y * w + xx;
                    x[o] = (float) (a + b + d);
                    x[o + 1] = (float) (a - b + c);
                    x[o + w] = (float) (a + 0.5 * b - c);
                    x[o + w + 1] = (float) (a - 0.5 * b - d);
                }
        Tensor images = Tensor.of(x, n, 1, h, w);
        WaveletSplit s = WaveletSplit.klt(images);
        double sum = 0;
        for (int k = 0; k < 4; k++) sum += s.low()[k];
        assertEquals(1, sum, 1e-5);
        double klt = residual(x, n, h, w, s.low(), s.high()), total = 0;
        for (float v : x) total += (double) v * v;
        assertEquals(klt / total, s.lostEnergy(), 1e-6);
        assertTrue(residual(x, n, h, w, WaveletSplit.haar(1).low(), WaveletSplit.haar(1).high()) > klt);
        for (int t = 0; t < 300; t++) {
            float[] l = new float[4], hi = new float[4];
            for (int k = 0; k < 4; k++) {
                l[k] = (float) rnd.nextGaussian();
                hi[k] = (float) rnd.nextGaussian();
            }
            assertTrue(residual(x, n, h, w, l, hi) >= klt * (1 - 1e-9), "a random pair reconstructs better");
        }
    }

    /** Squared error of the best linear reconstruction of every 2×2 patch from its two filter responses (least squares). */
    private static double residual(float[] x, int n, int h, int w, float[] l, float[] hi) {
        // decoder D (4×2) minimizing Σ‖p − D·[l·p, h·p]‖²: D = (Σ p zᵀ)(Σ z zᵀ)⁻¹
        double[][] pz = new double[4][2], zz = new double[2][2];
        java.util.List<double[]> ps = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y += 2)
                for (int xx = 0; xx < w; xx += 2) {
                    int o = i * h * w + y * w + xx;
                    double[] p = {x[o], x[o + 1], x[o + w], x[o + w + 1]};
                    ps.add(p);
                    double z0 = 0, z1 = 0;
                    for (int k = 0; k < 4; k++) {
                        z0 += l[k] * p[k];
                        z1 += hi[k] * p[k];
                    }
                    for (int k = 0; k < 4; k++) {
                        pz[k][0] += p[k] * z0;
                        pz[k][1] += p[k] * z1;
                    }
                    zz[0][0] += z0 * z0;
                    zz[0][1] += z0 * z1;
                    zz[1][1] += z1 * z1;
                }
        double det = zz[0][0] * zz[1][1] - zz[0][1] * zz[0][1];
        double[][] inv = {{zz[1][1] / det, -zz[0][1] / det}, {-zz[0][1] / det, zz[0][0] / det}};
        double err = 0;
        for (double[] p : ps) {
            double z0 = 0, z1 = 0;
            for (int k = 0; k < 4; k++) {
                z0 += l[k] * p[k];
                z1 += hi[k] * p[k];
            }
            for (int k = 0; k < 4; k++) {
                double d0 = pz[k][0] * inv[0][0] + pz[k][1] * inv[1][0], d1 = pz[k][0] * inv[0][1] + pz[k][1] * inv[1][1];
                double e = p[k] - d0 * z0 - d1 * z1;
                err += e * e;
            }
        }
        return err;
    }

    @Test
    void waveletInputRefusesAnOddSizedImage() {
        Model cnn = TestModels.cnn(7, 13, 8, 16, 16);
        NnzipException e = assertThrows(NnzipException.class, () -> WaveletInput.run(cnn, new WaveletInputConfig(8, 1, 0)));
        assertTrue(e.getMessage().contains("13x13"), e.getMessage());
    }
}
