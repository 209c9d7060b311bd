package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.schedule.Schedule;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unstructured and N:M pruning: exact sparsity targets, which weights go, masks, and schedules. */
class UnstructuredTest {
    static double zeros(Tensor t) {
        int z = 0;
        for (float v : t.floats()) if (v == 0f) z++;
        return (double) z / t.size();
    }

    @Test
    void layerScopeHitsTheAmountInEveryWeightAndKeepsTheLargest() {
        Model m = HazardModels.residualAdd();
        Model orig = m.copy();
        WeightMasks masks = UnstructuredPruner.prune(m, UnstructuredPruner.Method.MAGNITUDE, 0.7, "layer", 1);
        for (String w : UnstructuredPruner.weightTensors(m.graph())) {
            Tensor t = m.graph().initializer(w);
            assertEquals(Math.floor(0.7 * t.size()) / t.size(), zeros(t), 1e-9, w);
            // every surviving weight is at least as large as every pruned one
            float[] o = orig.graph().initializer(w).floats(), p = t.floats();
            float maxPruned = 0, minKept = Float.MAX_VALUE;
            for (int i = 0; i < o.length; i++)
                if (p[i] == 0) maxPruned = Math.max(maxPruned, Math.abs(o[i]));
                else {
                    minKept = Math.min(minKept, Math.abs(o[i]));
                    assertEquals(o[i], p[i], w + ": kept weights are unchanged");
                }
            assertTrue(maxPruned <= minKept, w);
            assertTrue(masks.all().containsKey(w));
        }
        assertEquals(orig.graph().initializer("conv0.bias"), m.graph().initializer("conv0.bias"), "biases untouched");
    }

    @Test
    void globalScopeHitsTheAmountOverall() {
        Model m = HazardModels.concat();
        UnstructuredPruner.prune(m, UnstructuredPruner.Method.L2, 0.8, "global", 1);
        long total = 0, z = 0;
        for (String w : UnstructuredPruner.weightTensors(m.graph())) {
            Tensor t = m.graph().initializer(w);
            total += t.size();
            z += Math.round(zeros(t) * t.size());
        }
        assertEquals(Math.floor(0.8 * total), z);
    }

    @Test
    void randomKeepsEarlierZerosAndReachesTheTarget() {
        Model m = HazardModels.mlp();
        UnstructuredPruner.prune(m, UnstructuredPruner.Method.MAGNITUDE, 0.3, "layer", 1);
        Tensor before = m.graph().initializer("w0");
        UnstructuredPruner.prune(m, UnstructuredPruner.Method.RANDOM, 0.6, "layer", 2);
        Tensor after = m.graph().initializer("w0");
        for (int i = 0; i < before.size(); i++) if (before.floats()[i] == 0) assertEquals(0f, after.floats()[i]);
        assertEquals(Math.floor(0.6 * after.size()) / after.size(), zeros(after), 1e-9);
    }

    @Test
    void twoFourLeavesAtMostTwoOfEveryFourAlongTheReduction() {
        Model m = HazardModels.mlp();
        UnstructuredPruner.nm(m, 2, 4);
        // Gemm transB=1: w0 is (12, 16), reduction along rows
        float[] w0 = m.graph().initializer("w0").floats();
        for (int r = 0; r < 12; r++)
            for (int g = 0; g < 4; g++) {
                int nz = 0;
                for (int j = 0; j < 4; j++) if (w0[r * 16 + g * 4 + j] != 0) nz++;
                assertEquals(2, nz, "row " + r + " group " + g);
            }
        // MatMul: w1 is (12, 8) = (K, N), reduction down the columns
        float[] w1 = m.graph().initializer("w1").floats();
        for (int c = 0; c < 8; c++)
            for (int g = 0; g < 3; g++) {
                int nz = 0;
                for (int j = 0; j < 4; j++) if (w1[(g * 4 + j) * 8 + c] != 0) nz++;
                assertEquals(2, nz, "column " + c + " group " + g);
            }
        // Conv (8, 4, 3, 3): runs of 4 along C·R·S = 36 of each filter
        Model cnn = HazardModels.residualAdd();
        UnstructuredPruner.nm(cnn, 2, 4);
        assertEquals(0.5, zeros(cnn.graph().initializer("conv1.weight")), 1e-9);
    }

    @Test
    void schedulesReachTheTargetOnTheLastStep() {
        for (String s : List.of("oneshot", "iterative:4", "agp:5")) {
            Schedule sc = Schedule.parse(s);
            assertEquals(0.9, sc.amountAt(0.9, sc.steps()), 1e-12, s);
            double prev = 0;
            for (int k = 1; k <= sc.steps(); k++) {
                assertTrue(sc.amountAt(0.9, k) > prev, s + " increases");
                prev = sc.amountAt(0.9, k);
            }
            int epochs = 0;
            for (int k = 1; k <= sc.steps(); k++) epochs += sc.epochsAfter(3, k);
            assertEquals(3, epochs, s + ": epochs spread over steps add up");
        }
        // iterative removes the same share of the survivors each step
        Schedule it = Schedule.parse("iterative:3");
        double r1 = 1 - it.amountAt(0.875, 1), r2 = (1 - it.amountAt(0.875, 2)) / r1;
        assertEquals(0.5, r1, 1e-12);
        assertEquals(0.5, r2, 1e-12);
        assertThrows(io.nnzip.ir.NnzipException.class, () -> Schedule.parse("agp"));
    }

    @Test
    void scheduledPruningWithAFineTuneKeepsMaskedWeightsAtZero() {
        Model m = HazardModels.mlp();
        PruneConfig c = new PruneConfig("unstructured", "magnitude", "layer", 0.75, null, Schedule.parse("agp:3"), 3, 1, null, 0, 1, 1);
        // a stand-in trainer that moves every weight: zeros must come back after each step
        FineTune nudge = (model, epochs, masks) -> {
            Model t = model.copy();
            for (var e : t.graph().initializers().entrySet()) {
                float[] d = e.getValue().toFloats().clone();
                for (int i = 0; i < d.length; i++) d[i] += 0.01f;
                e.setValue(Tensor.of(d, e.getValue().shape()));
            }
            return t;
        };
        Pruner.Outcome o = Pruner.run(m, c, nudge, null, null, null, s -> { });
        for (String w : UnstructuredPruner.weightTensors(o.model().graph()))
            assertEquals(0.75, zeros(o.model().graph().initializer(w)), 0.02, w);
    }

    @Test
    void layerAmountsByRoleAndNameOverrideTheSharedAmount() {
        Model m = HazardModels.mlp();
        // w0 (Gemm, reads the input) is first, w2 (the classifier) last, w1 (MatMul) in between
        assertEquals(List.of("w0", "w1", "w2"), LayerAmounts.inGraphOrder(m.graph()));
        var fixed = LayerAmounts.resolve(LayerAmounts.parse("first=0.25,last=0.5"), m.graph());
        UnstructuredPruner.prune(m, UnstructuredPruner.Method.MAGNITUDE, 0.75, "layer", fixed, 1);
        var g = m.graph();
        assertEquals(Math.floor(0.25 * 192) / 192, zeros(g.initializer("w0")), 1e-9);
        assertEquals(Math.floor(0.75 * 96) / 96, zeros(g.initializer("w1")), 1e-9);
        assertEquals(Math.floor(0.5 * 24) / 24, zeros(g.initializer("w2")), 1e-9);
        // global: the layers without their own amount share one threshold that reaches the amount over them
        Model h = HazardModels.mlp();
        UnstructuredPruner.prune(h, UnstructuredPruner.Method.MAGNITUDE, 0.6, "global",
                LayerAmounts.resolve(LayerAmounts.parse("w2=0.1"), h.graph()), 1);
        double z01 = zeros(h.graph().initializer("w0")) * 192 + zeros(h.graph().initializer("w1")) * 96;
        assertEquals(Math.floor(0.6 * 288), z01, 1e-6);
        assertEquals(Math.floor(0.1 * 24) / 24, zeros(h.graph().initializer("w2")), 1e-9);
        // largest: w0 holds 192 of the 312 weights; it beats first, and a weight's own name beats it
        assertEquals(Map.of("w0", 0.9), LayerAmounts.resolve(LayerAmounts.parse("largest=0.9"), h.graph()));
        assertEquals(0.9, LayerAmounts.resolve(LayerAmounts.parse("first=0.25,largest=0.9"), h.graph()).get("w0"));
        assertEquals(0.3, LayerAmounts.resolve(LayerAmounts.parse("largest=0.9,w0=0.3"), h.graph()).get("w0"));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> LayerAmounts.resolve(LayerAmounts.parse("nope=0.5"), h.graph()));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> LayerAmounts.parse("last=1.5"));
        assertThrows(io.nnzip.ir.NnzipException.class, () -> LayerAmounts.parse("last"));
    }

    @Test
    void gradualPrunesInsideOneFineTuneAndEndsAtEveryLayersTarget() {
        Model m = HazardModels.mlp();
        PruneConfig c = new PruneConfig("unstructured", "magnitude", "layer", 0.75, null, Schedule.parse("gradual:4"), 2, 1, null, 0, 1, 1, "last=0.5");
        List<Double> seen = new java.util.ArrayList<>();
        // a trainer that moves every weight between re-prunes and records the sparsity each re-prune leaves
        FineTune ft = new FineTune() {
            @Override
            public Model tune(Model model, int epochs, WeightMasks masks) { throw new AssertionError("gradual trains once, with re-prunes"); }

            @Override
            public Model tune(Model model, int epochs, WeightMasks masks, double[] shares, Reprune reprune) {
                assertEquals(2, epochs);
                assertArrayEquals(new double[] {0.5 / 3, 1.0 / 3, 0.5}, shares, 1e-12);
                Model t = model.copy();
                java.util.Map<String, float[]> live = new java.util.LinkedHashMap<>();
                for (String n : masks.all().keySet()) live.put(n, t.graph().initializer(n).floats());
                for (int k = 0; k < shares.length; k++) {
                    for (float[] w : live.values()) for (int i = 0; i < w.length; i++) w[i] += 0.001f;
                    reprune.at(k + 2, live, masks);
                    boolean[] mk = masks.all().get("w1");
                    int z = 0;
                    for (boolean b : mk) if (b) z++;
                    seen.add((double) z / mk.length);
                }
                return t;
            }
        };
        Pruner.Outcome o = Pruner.run(m, c, ft, null, null, null, s -> { });
        Schedule sc = c.schedule();
        for (int k = 2; k <= 4; k++) assertEquals(Math.floor(sc.amountAt(0.75, k) * 96) / 96, seen.get(k - 2), 1e-9, "step " + k);
        assertEquals(Math.floor(0.75 * 192) / 192, zeros(o.model().graph().initializer("w0")), 1e-9);
        assertEquals(Math.floor(0.5 * 24) / 24, zeros(o.model().graph().initializer("w2")), 1e-9);
        assertThrows(io.nnzip.ir.NnzipException.class, () -> new PruneConfig("structured", "l1-filter", "layer", 0.5, null, Schedule.parse("gradual:3"), 1, 1, null, 0, 1, 1));
    }
}
