package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Canonical;
import io.nnzip.engine.Executor;
import io.nnzip.eval.ModelStats;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import io.nnzip.models.Models;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which pooling the wavelet-input redesign removes under a MAC target, and the border cut that lets the network keep
 * its last convolution's resolution: MACs counted by hand, the cut model against ONNX Runtime on the uncut original.
 */
class WaveletResolutionTest {
    @Test
    void aBorderThePoolingDropsIsNotComputedAndTheFunctionStaysTheSame() throws Exception {
        // nnzip's 3-conv CNN at width 0.25: conv 1→8 at 28×28, pool, 8→16 at 14×14, pool, 16→32 at 7×7, pool to 3×3 (row and column 6 dropped)
        Model cnn = Models.cnn(0.25f, 10, 3);
        Model cut = cnn.copy();
        Canonical.apply(cut);
        long before = ModelStats.of(cut).macs;
        assertEquals(1, UnusedBorderTrim.apply(cut.graph(), cut.opset()));
        // only the last conv changes: 49 → 36 positions of 32·16·9 MACs each
        assertEquals(13L * 32 * 16 * 9, before - ModelStats.of(cut).macs);
        Node last = cut.graph().nodes().stream().filter(n -> n.opType().equals("Conv")).reduce((a, b) -> b).orElseThrow();
        assertArrayEquals(new long[] {1, 1, 0, 0}, last.attrInts("pads", null));
        Tensor x = TestModels.input(5, 4, 1, 28, 28);
        String out = cnn.graph().outputs().getFirst().name();
        float[] want;
        try (OrtRunner o = new OrtRunner(cnn, 1)) {
            want = o.run(Map.of(cnn.graph().runtimeInputs().getFirst().name(), x)).get(out).floats();
        }
        float[] got = new Executor(cut).run(Map.of(cut.graph().runtimeInputs().getFirst().name(), x)).get(out).floats();
        assertTrue(TestModels.relDiff(want, got) < 1e-5, "uncut in ORT vs cut in the engine " + TestModels.relDiff(want, got));
        try (OrtRunner o = new OrtRunner(cut, 1)) {
            float[] ort = o.run(Map.of(cut.graph().runtimeInputs().getFirst().name(), x)).get(out).floats();
            assertTrue(TestModels.relDiff(want, ort) < 1e-5, "uncut vs cut, both in ORT " + TestModels.relDiff(want, ort));
        }
    }

    @Test
    void theMacTargetRemovesTheEarliestPoolingWithinItAndTheRestRunsAtFullResolution() throws Exception {
        Model cnn = Models.cnn(0.25f, 10, 3);
        // original: 8·1·9·784 = 56448, 16·8·9·196 = 225792, 32·16·9·49 = 225792, Gemm 288·64 = 18432, 64·10 = 640
        assertEquals(56448 + 225792 + 225792 + 18432 + 640, ModelStats.of(cnn).macs);
        Tensor calib = TestModels.input(2, 8, 1, 28, 28);
        // the middle pooling out: conv1 at 14×14 (14112), pool to 7×7, conv2 at 7×7 (56448), conv3 at 7×7 cut to 6×6 (32·16·9·36 = 165888),
        // Gemm 18432 + 640, split 2·784, branch 8·9·49 = 3528, 8·8·9·49 = 28224, pooled 7×7 → 3×3 onto Gemm 72·64 = 4608
        long branch = 784 + 3528 + 28224 + 4608, mid = 14112 + 56448 + 165888 + 18432 + 640 + 784 + branch;
        WaveletInput.Result r = WaveletInput.run(cnn, new WaveletInputConfig(8, "features", 0.6f, 1, 0), calib);
        assertEquals(mid, r.macsAfter());
        assertEquals(branch, r.branchMacs());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        assertEquals(1L, r.summary().get("border_trimmed_convs"));
        // the earlier removal (first pooling) would keep 14112 + 225792 + 225792 (cut: 165888) + ... > 0.6 of the original
        assertTrue(mid <= 0.6 * ModelStats.of(cnn).macs);
        assertTrue(14112 + 225792 + 165888 + 18432 + 640 + 784 + branch > 0.6 * ModelStats.of(cnn).macs);
        Node[] pools = r.model().graph().nodes().stream().filter(n -> n.opType().equals("MaxPool")).toArray(Node[]::new);
        assertEquals(3, pools.length, Arrays.toString(pools)); // two of the network's three, and the branch's
        // a target no removal meets: the fewest MACs, which is the last pooling out (conv2 at 7×7 cut to 6×6, conv3 at 3×3)
        WaveletInput.Result least = WaveletInput.run(cnn, new WaveletInputConfig(8, "features", 0.01f, 1, 0), calib);
        assertEquals(14112 + 16L * 8 * 9 * 36 + 32L * 16 * 9 * 9 + 18432 + 640 + 784 + branch, least.macsAfter());
        assertEquals(false, least.summary().get("target_macs_met"));
        Tensor x = TestModels.input(13, 3, 1, 28, 28);
        for (Model m : new Model[] {r.model(), least.model()}) {
            String in = m.graph().runtimeInputs().getFirst().name(), out = m.graph().outputs().getFirst().name();
            float[] engine = new Executor(m).run(Map.of(in, x)).get(out).floats();
            try (OrtRunner o = new OrtRunner(m, 1)) {
                float[] ort = o.run(Map.of(in, x)).get(out).floats();
                assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
            }
        }
    }

    @Test
    void onThePyTorchCnnATargetOfOneKeepsTheSecondConvAtFullResolution() {
        Model cnn = io.nnzip.engine.ModelValidator.read(Path.of("src/test/resources/pytorch-normalized/cnn.onnx"));
        // /0/Conv at 14×14 28224, /2/MaxPool out, /3/Conv 32·16·9·196 = 903168 as before, /6/Conv 451584, Gemm 15680, split 1568,
        // branch 3528 + 28224 + 8·49·10 = 3920 (its 7×7 map is the Gemm's grid)
        WaveletInput.Result r = WaveletInput.run(cnn, new WaveletInputConfig(8, "features", 1f, 1, 0), TestModels.input(4, 8, 1, 28, 28));
        assertEquals("/2/MaxPool", r.removedPooling());
        assertEquals(28224 + 903168 + 451584 + 15680 + 1568 + 3528 + 28224 + 3920, r.macsAfter());
        WaveletInput.Result d = WaveletInput.run(cnn, new WaveletInputConfig(8, "features", 0.6f, 1, 0), TestModels.input(4, 8, 1, 28, 28));
        assertEquals("/5/MaxPool", d.removedPooling());
        assertEquals(28224 + 225792 + 451584 + 15680 + 1568 + 3528 + 28224 + 3920, d.macsAfter());
    }

    @Test
    void fuseInputFeedsAllFourSubbandsToTheFirstConvolutionAndStartsAsTheLowImageNetwork() throws Exception {
        Model cnn = Models.cnn(0.25f, 10, 3);
        Tensor calib = TestModels.input(2, 8, 1, 28, 28);
        WaveletInput.Result r = WaveletInput.run(cnn, new WaveletInputConfig(8, "input", 0.6f, 1, 0), calib);
        // subbands 4·(1·2·2)·196 = 3136, conv1 on 4 channels at 14×14 8·4·9·196 = 56448, pool, conv2 at 7×7 16·8·9·49 = 56448,
        // conv3 at 7×7 cut to 6×6 32·16·9·36 = 165888, Gemm 18432 + 640; no branch
        assertEquals(3136 + 56448 + 56448 + 165888 + 18432 + 640, r.macsAfter());
        assertEquals(2, r.model().graph().nodes().stream().filter(n -> n.opType().equals("MaxPool")).count(), "one of the three poolings removed, no branch");
        Model m = r.model();
        Node sub = m.graph().nodes().getFirst();
        assertEquals("Conv", sub.opType());
        float[] f = m.graph().initializer(sub.input(1)).toFloats();
        // the four 2×2 filters are a basis of the patches: nothing of the input is lost
        assertTrue(Math.abs(det4(f)) > 1e-3, "subband filters singular: " + Arrays.toString(f));
        Node conv1 = m.graph().consumers().get(sub.output(0)).getFirst();
        float[] w = m.graph().initializer(conv1.input(1)).toFloats();
        for (int o = 0; o < 8; o++)
            for (int j = 1; j < 4; j++)
                for (int k = 0; k < 9; k++) assertEquals(0f, w[(o * 4 + j) * 9 + k], "detail weights start at zero");
        Tensor x = TestModels.input(13, 3, 1, 28, 28);
        String in = m.graph().runtimeInputs().getFirst().name(), out = m.graph().outputs().getFirst().name();
        float[] engine = new Executor(m).run(Map.of(in, x)).get(out).floats();
        try (OrtRunner o = new OrtRunner(m, 1)) {
            float[] ort = o.run(Map.of(in, x)).get(out).floats();
            assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
        }
    }

    @Test
    void aWiderTrunkAtHalfResolutionStaysWithinTheOriginalsBudgetWhenTheLastPoolingGoes() throws Exception {
        // the cnn at width 1, by hand: 32·9·784 + 64·32·9·196 + 128·64·9·49 + 1152·256 + 256·10
        long original = 225792 + 3612672 + 3612672 + 294912 + 2560;
        assertEquals(original, ModelStats.of(Models.cnn(1f, 10, 1)).macs);
        Model wide = Models.cnn(1.5f, 10, 1);
        WaveletInput.Result r = WaveletInput.run(wide, new WaveletInputConfig(8, "input", 0.27f, 1, 0), TestModels.input(2, 8, 1, 28, 28));
        // channels 48/96/192, fc 384: subbands 4·4·196, conv1 on 4 channels at 14×14 48·4·9·196, pool, conv2 at 7×7 cut
        // to the 6×6 the pooling reads 96·48·9·36, pool, conv3 at 3×3 192·96·9·9, Gemm 1728·384 + 384·10
        long hand = 3136 + 338688 + 1492992 + 1492992 + 663552 + 3840;
        assertEquals(hand, r.macsAfter());
        assertEquals(hand, ModelStats.of(r.model()).macs);
        assertEquals(2, r.model().graph().nodes().stream().filter(n -> n.opType().equals("MaxPool")).count());
        assertTrue(hand <= 0.6 * original, "48 % fewer MACs than the width-1 cnn: " + (1 - (double) hand / original));
    }

    private static double det4(float[] a) {
        double[][] m = new double[4][4];
        for (int i = 0; i < 16; i++) m[i / 4][i % 4] = a[i];
        double d = 1;
        for (int c = 0; c < 4; c++) {
            int p = c;
            for (int r = c + 1; r < 4; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
            if (p != c) { double[] t = m[p]; m[p] = m[c]; m[c] = t; d = -d; }
            if (m[c][c] == 0) return 0;
            d *= m[c][c];
            for (int r = c + 1; r < 4; r++) {
                double q = m[r][c] / m[c][c];
                for (int k = c; k < 4; k++) m[r][k] -= q * m[c][k];
            }
        }
        return d;
    }
}
