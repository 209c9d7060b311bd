package io.nnzip.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Re-drawing an ONNX model's weights: the builder's own draw is the reference, and an imported model's layers get its initializers. */
class ReinitTest {
    @Test
    void redrawingATrainedLookingCnnGivesTheModelItsRecipeBuildsWithThatSeed() {
        Model m = Models.create("cnn", 1f, 10, 5);
        // stand-in for training: every float parameter moved, so nothing passes by staying where it was
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            if (!(e.getValue().data() instanceof float[] f) || e.getKey().equals("dropout_ratio")) continue;
            for (int i = 0; i < f.length; i++) f[i] = f[i] * 1.7f + 0.3f;
        }
        List<String> redrawn = Reinit.run(m, null, 7);
        Model ref = Models.create("cnn", 1f, 10, 7);
        assertEquals(ref.graph().initializers().keySet().stream().filter(n -> !n.equals("dropout_ratio")).sorted().toList(),
                redrawn.stream().sorted().toList());
        for (String n : ref.graph().initializers().keySet())
            assertArrayEquals(ref.graph().initializer(n).toFloats(), m.graph().initializer(n).toFloats(), n);
    }

    @Test
    void onThePyTorchCnnEveryLayerGetsItsInitializerAndTheRegexKeepsTheRest() {
        Path p = Path.of("src/test/resources/pytorch-normalized/cnn.onnx");
        Model orig = io.nnzip.engine.ModelValidator.read(p), m = io.nnzip.engine.ModelValidator.read(p);
        Graph g = m.graph();
        List<String> redrawn = Reinit.run(m, null, 3);
        int weights = 0;
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm")) continue;
            float[] w = g.initializer(n.input(1)).toFloats(), before = orig.graph().initializer(n.input(1)).toFloats();
            int[] s = g.initializer(n.input(1)).shape();
            int fanIn = n.opType().equals("Conv") ? s[1] * s[2] * s[3] : n.attrInt("transB", 0) != 0 ? s[1] : s[0];
            double bound = (g.outputNames().contains(n.output(0)) ? Math.sqrt(3.0) : Math.sqrt(6.0)) / Math.sqrt(fanIn), sq = 0, max = 0;
            for (float v : w) { sq += v * v; max = Math.max(max, Math.abs(v)); }
            assertTrue(max <= bound, n.describe() + " draws beyond its bound");
            // a uniform draw on (-b, b) has RMS b/√3; the smallest layer has a few hundred weights, so 15 % is ample
            assertEquals(bound / Math.sqrt(3), Math.sqrt(sq / w.length), 0.15 * bound / Math.sqrt(3), n.describe());
            assertFalse(java.util.Arrays.equals(w, before), n.describe() + " kept its trained weights");
            if (n.hasInput(2)) for (float v : g.initializer(n.input(2)).toFloats()) assertEquals(0f, v);
            weights++;
        }
        assertTrue(weights >= 3, "the fixture has convolutions and fully connected layers");
        for (Node n : g.nodes()) {
            if (!n.opType().equals("BatchNormalization")) continue;
            for (float v : g.initializer(n.input(1)).toFloats()) assertEquals(1f, v);
            for (float v : g.initializer(n.input(2)).toFloats()) assertEquals(0f, v);
            for (float v : g.initializer(n.input(3)).toFloats()) assertEquals(0f, v);
            for (float v : g.initializer(n.input(4)).toFloats()) assertEquals(1f, v);
        }

        // only the first conv selected: it matches the full re-draw (same stream), everything else keeps the trained values
        Node first = g.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        Model part = io.nnzip.engine.ModelValidator.read(p);
        List<String> one = Reinit.run(part, "^" + java.util.regex.Pattern.quote(first.input(1)) + "$", 3);
        assertEquals(List.of(first.input(1)), one);
        for (String n : redrawn) {
            float[] expect = (n.equals(first.input(1)) ? g : orig.graph()).initializer(n).toFloats();
            assertArrayEquals(expect, part.graph().initializer(n).toFloats(), n);
        }
    }
}
