package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The redesigns whose blocks have a nonlinearity inside (shuffle units, fire modules): no closed form maps the layer's
 * weights into them, so each convolution is replaced by a randomly initialized block that is then fitted alone, in
 * layer order, to the original layer's outputs on the calibration images ({@link BlockFit}).
 */
final class FittedBlocks {
    /** One redesign's block: whether a layer can take it, and how. */
    interface Block {
        /** Why {@code s} is kept as it is, or null to rewrite it. */
        String keep(ConvSite s);

        /** Replaces {@code s}'s node in {@code g} with the block; returns the block's nodes. */
        List<Node> rewrite(Graph g, ConvSite s, SplittableRandom rnd);

        long macs(ConvSite s);

        /** Weights, as the layer's own parameter count counts them. */
        long params(ConvSite s);
    }

    private FittedBlocks() {}

    /**
     * @param calib calibration inputs for the model's first input (N,...); null (or {@code fitSteps} 0) = random start only
     */
    static DepthwiseSeparableRedesign.Result run(Model input, Tensor calib, String layers, int minInputChannels, int fitSteps, long seed,
                                                 Map<String, Object> options, Map<String, String> descriptions, Block block) {
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        List<DepthwiseSeparableRedesign.LayerResult> results = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<ConvSite> sites = RedesignSites.select(g, types, layers, minInputChannels, true, results);
        String inputName = g.runtimeInputs().getFirst().name();
        Map<String, Tensor> targets = calib == null || fitSteps == 0 ? Map.of()
                : Calibration.capture(input, inputName, calib, sites.stream().map(x -> x.node().output(0)).toList(), 64);
        for (ConvSite s : sites) {
            String kept = block.keep(s);
            if (kept != null) {
                results.add(new DepthwiseSeparableRedesign.LayerResult(s.baseName(), "kept: " + kept, s.macs(), s.macs(), s.params(), s.params(), Double.NaN, Double.NaN));
                continue;
            }
            // the layer's input as the blocks fitted so far compute it
            Tensor x = targets.isEmpty() ? null : Calibration.capture(m, inputName, calib, List.of(s.node().input(0)), 64).get(s.node().input(0));
            List<Node> nodes = block.rewrite(g, s, rnd);
            BlockFit.Outcome fit = x == null ? null
                    : BlockFit.fit(g, m.opset(), nodes, s.node().input(0), s.node().output(0), x, targets.get(s.node().output(0)), fitSteps, seed);
            results.add(new DepthwiseSeparableRedesign.LayerResult(s.baseName(), "redesigned", s.macs(), block.macs(s), s.params(), block.params(s),
                    fit == null ? Double.NaN : fit.errorBefore(), fit == null ? Double.NaN : fit.errorAfter()));
        }
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats before = ModelStats.of(input), after = ModelStats.of(m);
        var r = new DepthwiseSeparableRedesign.Result(m, results, before.macs, after.macs, before.params, after.params);
        Provenance.record(m, "redesign", options, descriptions, r.summary());
        return r;
    }
}
