package io.nnzip.prune;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Batch;
import io.nnzip.eval.OrtRunner;
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
                case "tiny" -> {
                    // everything the channel's removal would zero, so removing it barely changes the loss
                    for (int i = 0; i < per; i++) w[c * per + i] *= 1e-3f;
                    b[c] *= 1e-3f;
                    scale[c] *= 1e-3f;
                    scaleSlice(g, "conv1.weight", 0, c);
                    scaleSlice(g, "conv1.bias", 0, c);
                    scaleSlice(g, "bn.bias", 0, c);
                    scaleSlice(g, "conv2.weight", 1, c);
                }
                default -> throw new IllegalArgumentException(how);
            }
        }
        g.initializers().put("conv0.weight", Tensor.of(w, g.initializer("conv0.weight").shape()));
        g.initializers().put("conv0.bias", Tensor.of(b, 8));
        g.initializers().put("bn.scale", Tensor.of(scale, 8));
        return m;
    }

    static void scaleSlice(io.nnzip.ir.Graph g, String name, int axis, int idx) {
        Tensor t = g.initializer(name);
        int[] sh = t.shape();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= sh[i];
        for (int i = axis + 1; i < sh.length; i++) inner *= sh[i];
        float[] d = t.floats().clone();
        for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) d[(o * sh[axis] + idx) * inner + i] *= 1e-3f;
        g.initializers().put(name, Tensor.of(d, sh));
    }

    @ParameterizedTest
    @ValueSource(strings = {"apoz", "mean-activation", "hrank", "l1-filter", "l2-filter", "bn-scale", "taylor"})
    void removesTheWeakChannels(String method) {
        String how = switch (method) {
            case "apoz", "mean-activation", "hrank" -> "dead";
            case "bn-scale" -> "bn";
            case "taylor" -> "tiny";
            default -> "small";
        };
        Model m = weakened(how);
        List<Map<String, Tensor>> calib = List.of(ValueProbe.randomFeeds(m, 4, 1), ValueProbe.randomFeeds(m, 4, 2));
        // labels: the model's own predictions, with every third flipped so the loss has a gradient
        List<Batch> labelled = new java.util.ArrayList<>();
        try (OrtRunner o = new OrtRunner(m, 1)) {
            for (Map<String, Tensor> f : calib) {
                Tensor x = f.values().iterator().next();
                int[] y = Sensitivity.Agreement.argmax(o.run(f).get("output"));
                for (int i = 0; i < y.length; i += 3) y[i] = (y[i] + 1) % 3;
                labelled.add(new Batch(x, y));
            }
        }
        StructuredPruner.Result r = StructuredPruner.prune(m, Criteria.of(method, 1, calib, labelled), 0.5, "layer", null);
        int[] removed = r.plan().removedTensors.get("conv0.weight@0");
        assertNotNull(removed, method + " removed nothing from conv0");
        Set<Integer> got = new TreeSet<>();
        for (int i : removed) got.add(i);
        assertEquals(new TreeSet<>(WEAK), got, method);
    }
}
