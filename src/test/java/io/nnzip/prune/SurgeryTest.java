package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import org.junit.jupiter.api.Test;

/** Dynamic network surgery's hook on the Trainer, step by step against hand-worked values. */
class SurgeryTest {
    /** One Gemm, 4 inputs to 2 outputs, weights 1..8 (w[i] = i + 1). */
    static Model gemm() {
        GraphBuilder g = new GraphBuilder("gemm");
        String x = g.input("x", DType.FLOAT, -1, 4);
        float[] w = new float[8];
        for (int i = 0; i < 8; i++) w[i] = i + 1;
        String y = g.op("Gemm", new String[] {x, g.init("w", w, 2, 4)}, Attribute.of("transB", 1L));
        g.rename(y, "y");
        g.output("y", DType.FLOAT, -1, 2);
        return g.build(13);
    }

    @Test
    void forwardSeesMaskedWeightsTheOptimizerMovesHiddenOnesAndGrownWeightsAreSplicedBack() {
        WeightMasks masks = new WeightMasks();
        // half pruned: the four smallest (1..4)
        masks.put("w", new boolean[] {true, true, true, true, false, false, false, false});
        Surgery s = new Surgery(masks, 0.1, 1);
        try (Trainer t = new Trainer(gemm(), new Trainer.Options().threads(1))) {
            Param w = t.params().stream().filter(p -> p.name().equals("w")).findFirst().orElseThrow();
            s.beforeForward(t, null);
            assertArrayEquals(new float[] {0, 0, 0, 0, 5, 6, 7, 8}, w.value());
            s.afterBackward(t);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, w.value(), "hidden weights restored before the optimizer step");
            // the optimizer grew pruned weight 0 to 9 and shrank kept weight 4 to 0.5; |w| sorted: .5 2 3 4 6 7 8 9,
            // the layer's 50% threshold is the 5th smallest = 6, band ±10%: 5.4 .. 6.6
            w.value()[0] = 9;
            w.value()[4] = 0.5f;
            s.afterStep(t);
            boolean[] m = masks.all().get("w");
            assertFalse(m[0], "a pruned weight above the upper threshold is spliced back");
            assertTrue(m[4], "a kept weight below the lower threshold is cut");
            // 6 (index 5) sits inside the band and keeps its state
            assertFalse(m[5]);
            assertTrue(m[1] && m[2] && m[3]);
        }
    }

    @Test
    void finishKeepsExactlyEachLayersShareFavouringWeightsTheMaskKept() {
        Model m = gemm();
        WeightMasks masks = new WeightMasks();
        // 3 of 8 pruned (37.5%), but the mask keeps the small weight 1 and prunes the large 8
        masks.put("w", new boolean[] {false, true, true, false, false, false, false, true});
        Surgery s = new Surgery(masks, 0.1, 1);
        // the mask then grows past its share during training
        masks.all().get("w")[3] = true;
        boolean[] fin = s.finish(m).all().get("w");
        int z = 0;
        for (boolean b : fin) if (b) z++;
        assertEquals(3, z, "exactly the initial 37.5%");
        // of the four masked (2, 3, 4, 8) the three smallest go; 8 is masked but largest, so it returns
        assertArrayEquals(new boolean[] {false, true, true, true, false, false, false, false}, fin);
    }

    @Test
    void aRampStartsUnmaskedAndReachesTheSparsityAlongTheCubic() {
        WeightMasks masks = new WeightMasks();
        masks.put("w", new boolean[] {true, true, true, true, true, true, false, false});
        Surgery s = new Surgery(masks, 0.1, 1, 100, 0);
        assertArrayEquals(new boolean[8], masks.all().get("w"), "training starts with every weight");
        assertEquals(0, s.share(0.75, 0), 1e-12);
        assertEquals(0.75 * (1 - 0.125), s.share(0.75, 50), 1e-12);
        assertEquals(0.75, s.share(0.75, 100), 1e-12);
        assertEquals(0.75, s.share(0.75, 1000), 1e-12);
    }

    @Test
    void theLastPhaseMakesEachMaskExactAndHoldsIt() {
        WeightMasks masks = new WeightMasks();
        masks.put("w", new boolean[] {true, true, true, true, false, false, false, false});
        // revised every step; fixed after step 2
        Surgery s = new Surgery(masks, 0.1, 1, 0, 2);
        boolean[] m = masks.all().get("w");
        try (Trainer t = new Trainer(gemm(), new Trainer.Options().threads(1))) {
            Param w = t.params().stream().filter(p -> p.name().equals("w")).findFirst().orElseThrow();
            // step 1, a revision: |w| 9 2 3 4 5 6 7 8, threshold 6, band 5.4..6.6: 9 is spliced back, 5 is cut
            s.beforeForward(t, null);
            s.afterBackward(t);
            w.value()[0] = 9;
            s.afterStep(t);
            assertArrayEquals(new boolean[] {false, true, true, true, true, false, false, false}, m);
            // step 2 fixes the masks: the mask has grown to 5 (index 5 too) and pruned weight 1 to 10; exactly 4 stay
            // pruned, masked ones first and the smallest of them (2, 3, 4, 5 → indices 2..5): index 1 (10) returns
            s.beforeForward(t, null);
            s.afterBackward(t);
            m[5] = true;
            w.value()[1] = 10;
            s.afterStep(t);
            assertArrayEquals(new boolean[] {false, false, true, true, true, true, false, false}, m);
            assertArrayEquals(new float[] {9, 10, 0, 0, 0, 0, 7, 8}, w.value(), "the pruned weights are zero from the fix on");
            // no more revisions: a pruned weight that grows past any threshold stays pruned, and the forward never sees it
            w.value()[2] = 50;
            s.afterStep(t);
            assertArrayEquals(new boolean[] {false, false, true, true, true, true, false, false}, m);
            s.beforeForward(t, null);
            assertEquals(0f, w.value()[2]);
        }
        assertThrows(io.nnzip.ir.NnzipException.class, () -> new Surgery(masks, 0.1, 1, 10, 5), "fixed before the ramp ends");
    }

    @Test
    void prunedWeightsMoveByPlainGradientDescent() {
        WeightMasks masks = new WeightMasks();
        // row 0 (the weights of class 0) pruned
        masks.put("w", new boolean[] {true, true, true, true, false, false, false, false});
        Surgery s = new Surgery(masks, 0.1, 1000, 0, 0);
        s.sgdPruned = true;
        try (Trainer t = new Trainer(gemm(), new Trainer.Options().threads(1).hook(s))) {
            Param w = t.params().stream().filter(p -> p.name().equals("w")).findFirst().orElseThrow();
            // x = (.5,.5,.5,.5), label 0: logits with the masked row are (0, 13), softmax ≈ (e^-13, 1), so the
            // cross-entropy's gradient on row 0 is (p0 - 1)·x ≈ -0.5 per weight: SGD at lr 0.1 adds 0.05 to each (Adam would add 0.1)
            t.step(new io.nnzip.data.Batch(io.nnzip.ir.Tensor.of(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, 1, 4), new int[] {0}), 0.1f);
            float[] v = w.value();
            for (int i = 0; i < 4; i++) assertEquals(i + 1 + 0.05f, v[i], 1e-5f, "pruned weight " + i);
        }
    }
}
