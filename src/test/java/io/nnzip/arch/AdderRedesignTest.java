package io.nnzip.arch;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.ops.AdderOps;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdderNet redesign: the written ONNX composition in ONNX Runtime against the engine's AdderConv, and the BN start. */
class AdderRedesignTest {
    @Test
    void writtenCompositionRunsInOrtAndAgreesWithTheEngine() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        Tensor calib = TestModels.input(9, 24, 1, 12, 12);
        DepthwiseSeparableRedesign.Result r = AdderRedesign.run(cnn, RedesignTest.cfg(64), calib);
        List<Node> adders = r.model().graph().nodes().stream().filter(n -> n.opType().equals(AdderOps.OP)).toList();
        assertEquals(2, adders.size(), "conv2 and conv3; conv1 (1 input channel) stays a convolution");
        assertEquals("kept: only 1 input channels (stem)", r.layers().getFirst().status());
        Model onnx = AdderRedesign.toOnnx(r.model());
        assertTrue(onnx.graph().nodes().stream().noneMatch(n -> n.opType().equals(AdderOps.OP)));
        Tensor x = TestModels.input(10, 3, 1, 12, 12);
        float[] engine = TestModels.run(r.model(), x), ort = TestModels.runOrt(onnx, x);
        assertTrue(TestModels.relDiff(ort, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(ort, engine));
        assertTrue(TestModels.relDiff(TestModels.run(onnx, x), engine) < 1e-5, "the engine on the written ops");
    }

    /**
     * conv2 is the first redesigned layer, so its input is the original's: the new BN's output must have, per
     * channel on the calibration images, the mean and variance the original conv2 output had.
     */
    @Test
    void firstRedesignedLayerStartsWithTheOriginalChannelStatistics() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        Tensor calib = TestModels.input(9, 24, 1, 12, 12);
        DepthwiseSeparableRedesign.Result r = AdderRedesign.run(cnn, RedesignTest.cfg(64), calib);
        String y = cnn.graph().node("conv2").output(0);
        Tensor orig = Calibration.capture(cnn, "input", calib, List.of(y), 64).get(y);
        Tensor mine = Calibration.capture(r.model(), "input", calib, List.of(y), 64).get(y);
        double[][] a = AdderRedesign.channelStats(orig), b = AdderRedesign.channelStats(mine);
        for (int c = 0; c < a[0].length; c++) {
            assertEquals(a[0][c], b[0][c], 1e-3 * Math.max(1, Math.sqrt(a[1][c])), "mean of channel " + c);
            assertEquals(a[1][c], b[1][c], 1e-2 * Math.max(1e-3, a[1][c]), "variance of channel " + c);
        }
        // and they are not the same layer: the adder's outputs differ from the conv's beyond their first two moments
        assertTrue(TestModels.relDiff(mine.floats(), orig.floats()) > 0.05);
    }

    /** A conv that feeds a BatchNormalization reuses it; the input model (whose tensors a copy may share) is left as it was. */
    @Test
    void reusesTheFollowingBatchNormAndLeavesTheInputModelAlone() {
        Model cnn = io.nnzip.models.Models.cnn(0.25f, 10, 3);
        java.util.Map<String, float[]> before = new java.util.HashMap<>();
        cnn.graph().initializers().forEach((k, v) -> before.put(k, v.toFloats().clone()));
        Tensor calib = TestModels.input(9, 16, 1, 28, 28);
        DepthwiseSeparableRedesign.Result r = AdderRedesign.run(cnn, RedesignTest.cfg(64), calib);
        cnn.graph().initializers().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloats(), k));
        long bns = r.model().graph().nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count();
        assertEquals(cnn.graph().nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count(), bns, "no BN added");
        Tensor x = TestModels.input(10, 2, 1, 28, 28);
        Model onnx = AdderRedesign.toOnnx(r.model());
        java.util.Map<String, Tensor> in = java.util.Map.of(onnx.graph().runtimeInputs().getFirst().name(), x);
        float[] engine = new io.nnzip.engine.Executor(r.model()).run(in).values().iterator().next().floats();
        try (io.nnzip.eval.OrtRunner ort = new io.nnzip.eval.OrtRunner(io.nnzip.onnx.OnnxReader.read(io.nnzip.onnx.OnnxWriter.toBytes(onnx), null), 1)) {
            float[] o = ort.run(in).values().iterator().next().floats();
            assertTrue(TestModels.relDiff(o, engine) < 1e-5, "ORT vs engine " + TestModels.relDiff(o, engine));
        }
    }

    /**
     * The layer-wise fit: the first redesigned layer's normalized output, measured on the written models by capture
     * (not by the fit's own report), is closer to the original's than with templates alone, and ORT still agrees.
     */
    @Test
    void fittedAdderLayerIsCloserToTheOriginalThanTemplates() {
        Model cnn = TestModels.cnn(7, 12, 8, 16, 16);
        Tensor calib = TestModels.input(9, 24, 1, 12, 12);
        RedesignConfig fit = new RedesignConfig(null, 4, 4, 64, 24, 1, 0, 100);
        Model templates = AdderRedesign.run(cnn, RedesignTest.cfg(64), calib).model(), fitted = AdderRedesign.run(cnn, fit, calib).model();
        String y = cnn.graph().node("conv2").output(0);
        float[] orig = Calibration.capture(cnn, "input", calib, List.of(y), 64).get(y).floats();
        double before = TestModels.relDiff(Calibration.capture(templates, "input", calib, List.of(y), 64).get(y).floats(), orig);
        double after = TestModels.relDiff(Calibration.capture(fitted, "input", calib, List.of(y), 64).get(y).floats(), orig);
        assertTrue(after < 0.9 * before, "fitted " + after + " vs templates " + before);
        Tensor x = TestModels.input(10, 3, 1, 12, 12);
        assertTrue(TestModels.relDiff(TestModels.runOrt(AdderRedesign.toOnnx(fitted), x), TestModels.run(fitted, x)) < 1e-5);
    }
}
