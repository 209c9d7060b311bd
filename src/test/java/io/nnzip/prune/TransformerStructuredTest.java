package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.PruneForm;
import io.nnzip.prune.report.LayerCosts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured pruning of transformers exported by PyTorch (src/test/resources/transformers): whole attention heads
 * and MLP neurons go. The reference is independent of the pruner's surgery: removing a head is exactly zeroing its
 * input rows of the output projection, and removing a hidden neuron is zeroing its row of fc2, so the pruned model
 * must equal the original with those rows zeroed (both run by ONNX Runtime). MAC counts are derived by hand.
 */
class TransformerStructuredTest {
    static final Path DIR = Path.of("src/test/resources/transformers");

    /** The original (in pruning form) with the rows the plan removes from projections and fc2 weights set to zero. */
    private static Model zeroedReference(Model original, StructuredPruner.Result r) {
        Model z = original.copy();
        PruneForm.apply(z);
        int zeroed = 0;
        for (Map.Entry<String, int[]> e : r.plan().removedTensors.entrySet()) {
            if (!e.getKey().endsWith("@0")) continue;
            String name = e.getKey().substring(0, e.getKey().length() - 2);
            Tensor w = z.graph().initializer(name);
            if (w.rank() != 2) continue; // a bias: its outputs are read by nothing once the rows below are zero
            float[] d = w.floats().clone();
            int cols = w.dim(1);
            for (int row : e.getValue()) java.util.Arrays.fill(d, row * cols, (row + 1) * cols, 0f);
            z.graph().initializers().put(name, Tensor.of(d, w.shape()));
            zeroed++;
        }
        assertTrue(zeroed > 0, "the plan removes no rows of a projection");
        return z;
    }

    private static Tensor ort(Model m, Map<String, Tensor> feeds) {
        try (OrtRunner r = OrtRunner.exposing(m, List.of(), 2)) {
            return r.run(feeds).get("logits");
        }
    }

    private static void equalsZeroedOriginal(Model m, StructuredPruner.Result r, Map<String, Tensor> feeds) {
        Tensor want = ort(zeroedReference(m, r), feeds), got = ort(r.model(), feeds);
        PruneAsserts.close(want, got, 1e-4, "pruned vs original with the removed heads and neurons zeroed");
    }

    private static List<String> weightShapes(Model m) {
        List<String> s = new ArrayList<>();
        for (io.nnzip.ir.Node n : m.graph().nodes())
            if (n.opType().equals("MatMul") && m.graph().isInitializer(n.input(1)))
                s.add(java.util.Arrays.toString(m.graph().initializer(n.input(1)).shape()));
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_op13.onnx", "vit_op17.onnx"})
    void halfTheHeadsAndNeuronsOfTheVitGo(String onnx) {
        Model m = OnnxReader.read(DIR.resolve(onnx));
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null, 1);
        // 4 blocks: qkv (64,192) → (64,96) = 2 of 4 heads of 16; proj (64,64) → (32,64); fc1 (64,128) → (64,64); fc2 (128,64) → (64,64)
        List<String> shapes = weightShapes(r.model());
        assertEquals(4, shapes.stream().filter("[64, 96]"::equals).count(), shapes.toString());
        assertEquals(4, shapes.stream().filter("[32, 64]"::equals).count(), shapes.toString());
        assertEquals(8, shapes.stream().filter("[64, 64]"::equals).count(), shapes.toString());
        // per image: patch conv 16·64·49 + head 64·10, and per block with H heads of 16 and F hidden over 16 tokens:
        // qkv 16·64·3·16H, scores and ·v 2·H·16·16·16, proj 16·16H·64, fc1 + fc2 2·16·64·F
        long conv = 16L * 64 * 49 + 640;
        long before = conv + 4 * block(4, 128), after = conv + 4 * block(2, 64);
        Model c = m.copy();
        PruneForm.apply(c);
        assertEquals(before, LayerCosts.totalMacs(c, 1));
        assertEquals(after, LayerCosts.totalMacs(r.model(), 1));
        assertTrue(after <= 0.6 * before);
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit.npz"));
        equalsZeroedOriginal(m, r, Map.of("input", a.get("x")));
    }

    private static long block(int heads, int hidden) {
        return 16L * 64 * 3 * 16 * heads + 2L * heads * 16 * 16 * 16 + 16L * 16 * heads * 64 + 2L * 16 * 64 * hidden;
    }

    @Test
    void causalLmLosesHeadsThroughTheMask() {
        Model m = OnnxReader.read(DIR.resolve("gpt_tiny.onnx"));
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(2), 0.5, "layer", null, 1);
        // 2 blocks of 2 heads of 16 and 64 hidden neurons: one head and 32 neurons each
        List<String> shapes = weightShapes(r.model());
        assertEquals(2, shapes.stream().filter("[32, 48]"::equals).count(), shapes.toString());
        assertEquals(2, shapes.stream().filter("[16, 32]"::equals).count(), shapes.toString());
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("gpt_tiny.npz"));
        equalsZeroedOriginal(m, r, Map.of("ids", a.get("x")));
    }

    @Test
    void separateQueryKeyValueLinearsLoseTheSameHeads() {
        // make_bert_fixture.py: one post-norm block, 4 heads of 8 over 32 features, separate q/k/v, 64 hidden
        Model m = OnnxReader.read(DIR.resolve("bert_tiny_op13.onnx"));
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null, 1);
        List<String> shapes = weightShapes(r.model());
        // query, key, value (32,32) → (32,16); dense (32,32) → (16,32); fc1 (32,64) → (32,32); fc2 (64,32) → (32,32)
        assertEquals(3, shapes.stream().filter("[32, 16]"::equals).count(), shapes.toString());
        assertEquals(1, shapes.stream().filter("[16, 32]"::equals).count(), shapes.toString());
        assertEquals(2, shapes.stream().filter("[32, 32]"::equals).count(), shapes.toString());
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("bert_tiny.npz"));
        equalsZeroedOriginal(m, r, Map.of("input", a.get("x")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"l2-filter", "mean-activation", "apoz", "taylor", "random"})
    void everyCriterionScoresHeadsAndNeuronsAsGroups(String method) {
        // vit_tiny: 1 block, 2 heads of 8 over 16 features, 32 hidden; 2 images with made-up labels for taylor
        Model m = OnnxReader.read(DIR.resolve("vit_tiny_op13.onnx"));
        Map<String, Tensor> a = Npy.readNpz(DIR.resolve("vit_tiny.npz"));
        List<Map<String, Tensor>> calib = List.of(Map.of("input", a.get("x")));
        List<io.nnzip.data.Batch> labelled = List.of(new io.nnzip.data.Batch(a.get("x"), new int[] {0, 2}));
        StructuredPruner.Result r = StructuredPruner.prune(m, io.nnzip.prune.criteria.Criteria.of(method, 1, calib, labelled), 0.5, "layer", null, 1);
        List<String> shapes = weightShapes(r.model());
        // qkv (16,48) → (16,24); proj (16,16) → (8,16); fc1 (16,32) → (16,16); fc2 (32,16) → (16,16)
        assertTrue(shapes.contains("[16, 24]") && shapes.contains("[8, 16]"), shapes.toString());
        assertEquals(2, shapes.stream().filter("[16, 16]"::equals).count(), shapes.toString());
        equalsZeroedOriginal(m, r, Map.of("input", a.get("x")));
    }
}
