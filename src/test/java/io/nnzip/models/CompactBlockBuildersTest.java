package io.nnzip.models;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Backprop;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.eval.ModelStats;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MobileNet blocks, ShuffleNet units and fire modules from the Java API: MACs by hand, ORT vs engine, gradients everywhere. */
class CompactBlockBuildersTest {
    private static Model blocks() {
        return new Sequential("blocks", 1, 16, 16, 3).conv(24, 3, 1, 1).batchNorm().relu()
                .mobileNetBlock(24, 1)
                .shuffleUnit(24, 3, 1)
                .shuffleUnit(48, 3, 2)
                .fire(8, 16, 16)
                .globalAvgPool().flatten().classifier(10).build();
    }

    @Test
    void convolutionMacsAreTheHandCount() {
        long conv1 = 24 * 9 * 256;
        long mobile = 24 * 9 * 256 + 24 * 24 * 256;                      // depthwise 3×3, pointwise 24 → 24 at 16×16
        long shuffle1 = 6 * 8 * 256 + 6 * 9 * 256 + 24 * 2 * 256;         // middle 24/4 = 6; 1×1 in 3 groups (8 inputs each), dw, 1×1 (2 inputs each)
        long shuffle2 = 12 * 8 * 256 + 12 * 9 * 64 + 24 * 4 * 64;        // stride 2: middle 48/4 = 12; the branch gives 48 − 24 channels at 8×8
        long fire = 8 * 48 * 64 + 16 * 8 * 64 + 16 * 8 * 9 * 64;         // squeeze 48 → 8, expand 1×1 and 3×3 to 16 each at 8×8
        long gemm = 32 * 10;
        ModelStats st = ModelStats.of(blocks());
        long counted = st.layers.stream().filter(l -> l.op().equals("Conv") || l.op().equals("Gemm")).mapToLong(ModelStats.LayerStat::macs).sum();
        assertEquals(conv1 + mobile + shuffle1 + shuffle2 + fire + gemm, counted, st.layers.toString());
    }

    @Test
    void ortAgreesWithTheEngineAndEveryWeightGetsAGradient() {
        Model m = blocks();
        Random r = new Random(4);
        float[] x = new float[2 * 256];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor in = Tensor.of(x, 2, 1, 16, 16);
        float[] engine = new Executor(m).run(Map.of("input", in)).get("logits").floats();
        float[] ort;
        try (OrtRunner o = new OrtRunner(OnnxReader.read(OnnxWriter.toBytes(m), null), 1)) {
            ort = o.run(Map.of("input", in)).get("logits").floats();
        }
        assertEquals(20, engine.length);
        for (int i = 0; i < engine.length; i++) assertEquals(ort[i], engine[i], 1e-4 * Math.max(1, Math.abs(ort[i])), "logit " + i);
        List<String> weights = m.graph().initializers().entrySet().stream()
                .filter(e -> e.getValue().dtype() == DType.FLOAT && e.getValue().rank() == 4).map(Map.Entry::getKey).toList();
        assertEquals(1 + 2 + 3 + 3 + 3, weights.size(), weights.toString());
        Tape tape = new Tape(m.graph(), m.opset(), new Parallel(2), 0);
        tape.forward(Map.of("input", in), true);
        float[] seed = new float[20];
        for (int i = 0; i < seed.length; i++) seed[i] = (float) r.nextGaussian();
        Map<String, Tensor> g = new Backprop(tape, weights).run(Map.of("logits", Tensor.of(seed, 2, 10)));
        for (String w : weights) {
            double s = 0;
            for (float v : g.get(w).floats()) s += Math.abs(v);
            assertTrue(s > 0, w + " got no gradient");
        }
    }

    @Test
    void shapesThatCannotWorkAreRefused() {
        Sequential s = new Sequential("bad", 24, 8, 8, 1);
        assertThrows(NnzipException.class, () -> s.shuffleUnit(32, 3, 1)); // stride 1 adds the input: out must be 24
        assertThrows(NnzipException.class, () -> new Sequential("bad", 24, 8, 8, 1).channelShuffle(5));
    }
}
