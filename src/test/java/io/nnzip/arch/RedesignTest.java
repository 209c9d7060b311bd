package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Depthwise-separable redesign against direct computations of the original layers. */
class RedesignTest {
    static RedesignConfig cfg(int positions) { return new RedesignConfig(null, 4, 4, positions, 64, 1, 0); }

    @Test
    void separableKernelIsReproducedExactlyWithoutData() {
        int k = 8, c = 5;
        float[] p = TestModels.gaussian(k * c, 1, 1), d = TestModels.gaussian(c * 9, 1, 2);
        float[] w = new float[k * c * 9];
        for (int n = 0; n < k; n++) for (int ch = 0; ch < c; ch++) for (int t = 0; t < 9; t++) w[(n * c + ch) * 9 + t] = p[n * c + ch] * d[ch * 9 + t];
        Model layer = TestModels.singleConv(w, k, c, 3, 3, 7, 7, new long[] {2, 2}, new long[] {1, 1, 1, 1}, TestModels.gaussian(k, 0.1, 3));
        DepthwiseSeparableRedesign.Result r = DepthwiseSeparableRedesign.run(layer, cfg(1000), null);
        Tensor x = TestModels.input(4, 2, c, 7, 7);
        assertTrue(TestModels.relDiff(TestModels.run(r.model(), x), TestModels.run(layer, x)) < 1e-5);
        assertTrue(TestModels.relDiff(TestModels.runOrt(r.model(), x), TestModels.run(layer, x)) < 1e-5);
    }

    @Test
    void fittedBlockReportsItsTrueOutputErrorAndBeatsTheDataFreeStart() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        Tensor calib = TestModels.input(9, 24, 1, 12, 12);
        // every position sampled: the reported error is the error over the whole calibration set
        DepthwiseSeparableRedesign.Result r = DepthwiseSeparableRedesign.run(cnn, cfg(1 << 20), calib);
        DepthwiseSeparableRedesign.LayerResult conv2 = r.layers().stream().filter(l -> l.layer().equals("conv2")).findFirst().orElseThrow();
        assertEquals("redesigned", conv2.status());
        assertTrue(conv2.fitErrorAfter() < conv2.fitErrorInit(), conv2.toString());
        String out = cnn.graph().node("conv2").output(0);
        Tensor orig = Calibration.capture(cnn, "input", calib, List.of(out), 64).get(out);
        Tensor mine = Calibration.capture(r.model(), "input", calib, List.of(out), 64).get(out);
        assertEquals(conv2.fitErrorAfter(), TestModels.relDiff(mine.floats(), orig.floats()), 1e-4);
        assertEquals("kept: only 1 input channels (stem)", r.layers().getFirst().status());
        assertEquals(ModelStats.of(r.model()).macs, r.macsAfter());
        Tensor x = TestModels.input(10, 2, 1, 12, 12);
        assertTrue(TestModels.relDiff(TestModels.runOrt(r.model(), x), TestModels.run(r.model(), x)) < 1e-5);
        assertTrue(r.model().metadata().get("nnzip.redesign").contains("als_iterations"));
    }
}
