package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.criteria.Criteria;
import io.nnzip.prune.dep.ValueProbe;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each criterion must find channels built to be unimportant: in the residual hazard model, the first conv's
 * channels 1, 3, 5, 7 are made dead (ReLU of a large negative bias) or given tiny weights / BN scales.
 */
class CriteriaTest {
    static final Set<Integer> WEAK = Set.of(1, 3, 5, 7);

    /** conv0 (4→8, feeding a ReLU) with channels in WEAK silenced in the way {@code how} says. */
    static Model weakened(String how) {
        Model m = HazardModels.depthwise();
        var g = m.graph();
        float[] w = g.initializer("conv0.weight").floats().clone(), b = g.initializer("conv0.bias").floats().clone();
        float[] scale = g.initializer("bn.scale").floats().clone();
        int per = w.length / 8;
        for (int c : WEAK) {
            switch (how) {
                case "dead" -> b[c] = -1000f;
                case "small" -> {
                    for (int i = 0; i < per; i++) w[c * per + i] *= 1e-3f;
                    b[c] *= 1e-3f;
                }
                case "bn" -> scale[c] *= 1e-3f;
                default -> throw new IllegalArgumentException(how);
            }
        }
        g.initializers().put("conv0.weight", Tensor.of(w, g.initializer("conv0.weight").shape()));
        g.initializers().put("conv0.bias", Tensor.of(b, 8));
        g.initializers().put("bn.scale", Tensor.of(scale, 8));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"apoz", "mean-activation", "hrank", "l1-filter", "l2-filter", "bn-scale"})
    void removesTheWeakChannels(String method) {
        String how = switch (method) {
            case "apoz", "mean-activation", "hrank" -> "dead";
            case "bn-scale" -> "bn";
            default -> "small";
        };
        Model m = weakened(how);
        List<Map<String, Tensor>> calib = List.of(ValueProbe.randomFeeds(m, 4, 1), ValueProbe.randomFeeds(m, 4, 2));
        StructuredPruner.Result r = StructuredPruner.prune(m, Criteria.of(method, 1, calib), 0.5, "layer", null);
        int[] removed = r.plan().removedTensors.get("conv0.weight@0");
        assertNotNull(removed, method + " removed nothing from conv0");
        Set<Integer> got = new TreeSet<>();
        for (int i : removed) got.add(i);
        assertEquals(new TreeSet<>(WEAK), got, method);
    }
}
