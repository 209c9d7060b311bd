package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.prune.criteria.WeightNormCriterion;
import io.nnzip.prune.dep.ValueProbe;
import io.nnzip.prune.report.LayerCosts;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The built-in Fashion-MNIST architectures (BN, dropout, residual projections, depthwise blocks) prune safely. */
class BuiltinModelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lenet5", "cnn", "resnet8", "studentnet"})
    void halfTheChannelsEqualsTheMaskedOriginal(String name) {
        Model m = OnnxReader.read(OnnxWriter.toBytes(Models.create(name, 1f, 10, 3)), null);
        StructuredPruner.Result r = StructuredPruner.prune(m, new WeightNormCriterion(2), 0.5, "layer", null);
        Map<String, Tensor> feeds = ValueProbe.randomFeeds(m, 2, 4);
        try (OrtRunner a = new OrtRunner(Masking.mask(m, r.plan()), 1); OrtRunner b = new OrtRunner(r.model(), 1)) {
            PruneAsserts.close(a.run(feeds).values().iterator().next(), b.run(feeds).values().iterator().next(), 1e-4, name);
        }
        long before = LayerCosts.totalMacs(m, 1), after = LayerCosts.totalMacs(r.model(), 1);
        assertTrue(after <= 0.55 * before, name + ": MACs " + before + " -> " + after);
    }
}
