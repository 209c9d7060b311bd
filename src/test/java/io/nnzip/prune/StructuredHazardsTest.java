package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.criteria.RandomCriterion;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.PlanApplier;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.dep.ValueProbe;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Each topology hazard on its own tiny model: the pruned model must run in ONNX Runtime with the original output
 * shape and equal the original with the removed weight slices zeroed (its masked twin), and the hazard-specific
 * tensors must really shrink. Random and L1 criteria both run, so different channel sets are exercised.
 */
class StructuredHazardsTest {
    static StructuredPruner.Result pruneAndCheck(Supplier<Model> build, double amount) {
        StructuredPruner.Result last = null;
        for (var crit : List.of(new WeightNormCriterion(1), new RandomCriterion(7), new RandomCriterion(8))) {
            Model m = OnnxReader.read(OnnxWriter.toBytes(build.get()), null);
            StructuredPruner.Result r = StructuredPruner.prune(m, crit, amount, "layer", null);
            assertFalse(r.plan().isEmpty(), m.graph().name() + ": nothing pruned");
            Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
            Map<String, Tensor> feeds = ValueProbe.randomFeeds(m, 3, 5);
            Tensor ref, got;
            try (OrtRunner o = new OrtRunner(Masking.mask(m, r.plan()), 1)) {
                ref = o.run(feeds).get("output");
            }
            try (OrtRunner o = new OrtRunner(p, 1)) {
                got = o.run(feeds).get("output");
            }
            assertArrayEquals(new int[] {3, 3}, got.shape());
            PruneAsserts.close(ref, got, 1e-5, m.graph().name() + " / " + crit.name());
            last = r;
        }
        return last;
    }

    static int[] shape(Model m, String init) { return m.graph().initializer(init).shape(); }

    @Test
    void residualAddPrunesAllBranchesAlike() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::residualAdd, 0.5);
        // conv1 (main branch), conv2 (shortcut) and conv3 feed the same residual stream: all keep 4 of 8
        assertEquals(4, shape(r.model(), "conv1.weight")[0]);
        assertEquals(4, shape(r.model(), "conv2.weight")[0]);
        assertEquals(4, shape(r.model(), "conv3.weight")[0]);
        assertEquals(4, shape(r.model(), "conv4.weight")[1]);
    }

    @Test
    void concatMapsIndicesToItsInputs() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::concat, 0.5);
        int a = shape(r.model(), "conv0.weight")[0], b = shape(r.model(), "conv1.weight")[0];
        assertEquals(2 * a + b, shape(r.model(), "conv2.weight")[1], "consumer sees concat(a, b, a)");
        assertTrue(a < 6 && b < 5 || a + b <= 6);
    }

    @Test
    void splitSizesFollowTheKeptChannels() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::split, 0.5);
        Node split = r.model().graph().nodes().stream().filter(n -> n.opType().equals("Split")).findFirst().orElseThrow();
        long[] sizes = r.model().graph().initializer(split.input(1)).toLongs();
        assertEquals(shape(r.model(), "conv0.weight")[0], sizes[0] + sizes[1]);
        assertEquals(sizes[0], shape(r.model(), "conv1.weight")[1]);
        assertEquals(sizes[1], shape(r.model(), "conv2.weight")[1]);
    }

    @Test
    void depthwiseGroupsAndBatchNormShrinkWithTheirInput() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::depthwise, 0.5);
        Model m = r.model();
        int kept = shape(m, "conv0.weight")[0];
        assertEquals(4, kept);
        Node dw = m.graph().nodes().stream().filter(n -> n.opType().equals("Conv") && n.input(1).equals("conv1.weight")).findFirst().orElseThrow();
        assertEquals(kept, dw.attrInt("group", 1));
        assertArrayEquals(new int[] {kept, 1, 3, 3}, shape(m, "conv1.weight"));
        assertArrayEquals(new int[] {kept}, shape(m, "bn.scale"));
        assertArrayEquals(new int[] {kept}, shape(m, "bn.var"));
    }

    @Test
    void channelShuffleKeepsEveryGroupTheSameWidth() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::shuffle, 0.5);
        Model m = r.model();
        assertTrue(shape(m, "conv0.weight")[0] < 8 && shape(m, "conv1.weight")[0] < 8, "both shuffle inputs shrink");
        assertEquals(shape(m, "conv0.weight")[0], shape(m, "conv1.weight")[0], "groups of the shuffle stay equal");
    }

    @Test
    void flattenIntoGemmDropsWholeFeatureBlocks() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::flattenGemm, 0.5);
        Model m = r.model();
        assertEquals(shape(m, "conv0.weight")[0] * 16, shape(m, "fc1.weight")[1]);
        assertEquals(shape(m, "conv2.weight")[0] * 16, shape(m, "fc3.weight")[1]);
        assertEquals(3, shape(m, "conv2.weight")[0], "5 channels, floor(2.5) removed");
        assertEquals(3, shape(m, "conv0.weight")[0]);
    }

    @Test
    void sharedWeightsPruneBothUsersTogether() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::sharedWeights, 0.5);
        Model m = r.model();
        assertEquals(3, shape(m, "conv0.weight")[0]);
        assertEquals(3, shape(m, "conv1.weight")[1]);
        assertEquals(3, shape(m, "conv2.weight")[1]);
    }

    @Test
    void mlpNeuronsThroughGemmAndMatMul() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::mlp, 0.5);
        Model m = r.model();
        assertArrayEquals(new int[] {6, 16}, shape(m, "w0"));
        assertArrayEquals(new int[] {6, 4}, shape(m, "w1"));
        assertArrayEquals(new int[] {4}, shape(m, "b1"));
        assertArrayEquals(new int[] {3, 4}, shape(m, "w2"));
    }

    @Test
    void anOpWithoutARuleIsLeftAloneAndReported() {
        StructuredPruner.Result r = pruneAndCheck(HazardModels::unknownOp, 0.5);
        assertEquals(8, shape(r.model(), "conv0.weight")[0], "the LRN input keeps all channels");
        assertEquals(4, shape(r.model(), "conv1.weight")[0], "other layers still prune");
        assertTrue(r.plan().notes.stream().anyMatch(n -> n.contains("LRN")), r.plan().notes.toString());
    }

    @Test
    void planSurvivesJsonAndReplaysToTheSameModel() throws Exception {
        Model m = HazardModels.shuffle();
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(2), 0.5, "layer", null);
        java.nio.file.Path f = java.nio.file.Files.createTempFile("plan", ".json");
        try {
            java.nio.file.Files.write(f, PruneOutput.planBytes(List.of(r.plan())));
            List<PrunePlan> back = PruneOutput.readPlans(f);
            Model replayed = PlanApplier.apply(m, back.getFirst());
            assertEquals(r.model().graph().initializers(), replayed.graph().initializers());
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void globalScopeAlsoYieldsAnEquivalentModel() {
        Model m = HazardModels.residualAdd();
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "global", null);
        Map<String, Tensor> feeds = ValueProbe.randomFeeds(m, 2, 9);
        try (OrtRunner a = new OrtRunner(Masking.mask(m, r.plan()), 1); OrtRunner b = new OrtRunner(r.model(), 1)) {
            PruneAsserts.close(a.run(feeds).get("output"), b.run(feeds).get("output"), 1e-5, "global");
        }
    }
}
