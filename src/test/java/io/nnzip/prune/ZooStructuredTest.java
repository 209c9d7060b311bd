package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.zoo.Zoo;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LayerCosts;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured pruning at 50% on the four exporter-style families: the result must load and run in ONNX Runtime
 * with the original output shape, lose at least 40% of its MACs, and equal the masked original (every removed
 * weight slice zeroed in the unpruned model) up to float rounding.
 */
class ZooStructuredTest {
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenetv2", "squeezenet", "shufflenetv2"})
    void halfTheChannelsRunsSmallerAndMatchesTheMaskedOriginal(String name) {
        Model m = OnnxReader.read(OnnxWriter.toBytes(Zoo.build(name, 64, 0.5, 10, 42)), null);
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(1), 0.5, "layer", null);
        Model p = OnnxReader.read(OnnxWriter.toBytes(r.model()), null);
        long before = LayerCosts.totalMacs(m, 1), after = LayerCosts.totalMacs(p, 1);
        assertTrue(after <= 0.6 * before, name + ": MACs " + before + " -> " + after);
        Map<String, Tensor> feeds = ValueProbe.randomFeeds(m, 2, 3);
        Tensor masked, pruned;
        try (OrtRunner o = new OrtRunner(Masking.mask(m, r.plan()), 1)) {
            masked = o.run(feeds).get("output");
        }
        try (OrtRunner o = new OrtRunner(p, 1)) {
            pruned = o.run(feeds).get("output");
        }
        assertArrayEquals(new int[] {2, 10}, pruned.shape());
        PruneAsserts.close(masked, pruned, 1e-4, name);
    }
}
