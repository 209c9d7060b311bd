package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.prune.PruneData;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --finetune-budget: epochs × images × MACs per image stay within the budget, never below one epoch. */
class FinetuneBudgetTest {
    /** One Gemm of 100 inputs to 10 outputs: 1,000 MACs per image. */
    static Model gemm() {
        GraphBuilder g = new GraphBuilder("gemm");
        String x = g.input("x", DType.FLOAT, -1, 100);
        String y = g.op("Gemm", new String[] {x, g.init("w", new float[1000], 10, 100)}, Attribute.of("transB", 1L));
        g.rename(y, "y");
        g.output("y", DType.FLOAT, -1, 10);
        return g.build(13);
    }

    static PruneData images(int n) {
        return new PruneData() {
            @Override
            public Iterable<Map<String, io.nnzip.ir.Tensor>> calibration(Model m, int batches, int batchSize, long seed) { return java.util.List.of(); }

            @Override
            public int trainingImages() { return n; }

            @Override
            public String describe() { return "stub"; }
        };
    }

    @Test
    void capsEpochsByComputeButKeepsAtLeastOne() {
        Model m = gemm();
        // 1,000,000 images × 1,000 MACs = 1 GMAC per epoch
        assertEquals(3, PruneCommand.epochsWithin(12, 3.5, images(1_000_000), m));
        assertEquals(12, PruneCommand.epochsWithin(12, 50, images(1_000_000), m));
        assertEquals(1, PruneCommand.epochsWithin(12, 0.1, images(1_000_000), m));
        assertEquals(12, PruneCommand.epochsWithin(12, 0, images(1_000_000), m), "0 = no cap");
        assertEquals(7, PruneCommand.epochsWithin(12, 3.5, images(500_000), m), "half the images: 0.5 GMAC per epoch");
        assertEquals(12, PruneCommand.epochsWithin(12, 3.5, null, m), "no data, nothing to cap");
        assertThrows(NnzipException.class, () -> PruneCommand.epochsWithin(12, -1, images(10), m));
    }
}
