package io.nnzip.arch;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.lowrank.ConvSite;
import io.nnzip.lowrank.GraphRewrites;
import io.nnzip.pass.Provenance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces standard convolutions by depthwise + pointwise pairs (MobileNet's block without the inner
 * nonlinearity, so the pair can stand in for the one layer). Layers are processed in order; each new block is
 * fitted to the original layer's outputs given the inputs the already-redesigned network produces, so errors of
 * earlier layers are compensated rather than compounded.
 */
public final class DepthwiseSeparableRedesign {
    public record LayerResult(String layer, String status, long macsBefore, long macsAfter, long paramsBefore, long paramsAfter,
                              double fitErrorInit, double fitErrorAfter) {
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", layer);
            m.put("status", status);
            m.put("macs_before", macsBefore);
            m.put("macs_after", macsAfter);
            m.put("params_before", paramsBefore);
            m.put("params_after", paramsAfter);
            m.put("output_error_init", Double.isNaN(fitErrorInit) ? null : fitErrorInit);
            m.put("output_error_fitted", Double.isNaN(fitErrorAfter) ? null : fitErrorAfter);
            return m;
        }
    }

    public record Result(Model model, List<LayerResult> layers, long macsBefore, long macsAfter, long paramsBefore, long paramsAfter) {
        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("macs_before", macsBefore);
            m.put("macs_after", macsAfter);
            m.put("macs_reduction", macsAfter == 0 ? 0 : (double) macsBefore / macsAfter);
            m.put("params_before", paramsBefore);
            m.put("params_after", paramsAfter);
            m.put("layers_redesigned", layers.stream().filter(l -> l.status().equals("redesigned")).count());
            return m;
        }
    }

    private DepthwiseSeparableRedesign() {}

    /** @param calib calibration inputs for the model's first input (N,...), or null for the data-free start only */
    public static Result run(Model input, RedesignConfig cfg, Tensor calib) {
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        Graph g = m.graph();
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        List<LayerResult> results = new ArrayList<>();
        List<ConvSite> sites = RedesignSites.select(g, types, cfg, true, results);
        String inputName = g.runtimeInputs().getFirst().name();
        Map<String, Tensor> targets = calib == null ? Map.of()
                : Calibration.capture(input, inputName, calib, sites.stream().map(s -> s.node().output(0)).toList(), 64);
        for (ConvSite s : sites) {
            float[] bias = s.biasName() == null ? null : g.initializer(s.biasName()).toFloats();
            DepthwiseSeparableFit fit;
            if (calib != null) {
                Tensor x = Calibration.capture(m, inputName, calib, List.of(s.node().input(0)), 64).get(s.node().input(0));
                fit = DepthwiseSeparableFit.fit(s, bias, x.floats(), x.dim(0), targets.get(s.node().output(0)).floats(), cfg.alsIterations(),
                        cfg.maxPositions(), cfg.seed());
            } else {
                fit = DepthwiseSeparableFit.dataFree(s, bias);
            }
            rewrite(g, s, fit);
            long macs = (long) s.c() * s.r() * s.s() * s.p() * s.q() + (long) s.k() * s.c() * s.p() * s.q();
            long params = (long) s.c() * s.r() * s.s() + (long) s.k() * s.c();
            results.add(new LayerResult(s.baseName(), "redesigned", s.macs(), macs, s.params(), params, fit.errorBefore, fit.errorAfter));
        }
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats before = ModelStats.of(input), after = ModelStats.of(m);
        Result r = new Result(m, results, before.macs, after.macs, before.params, after.params);
        Provenance.record(m, "redesign", cfg.describe(), RedesignConfig.FIELDS, r.summary());
        return r;
    }

    static void rewrite(Graph g, ConvSite s, DepthwiseSeparableFit fit) {
        GraphRewrites.Names names = new GraphRewrites.Names(g, s.baseName());
        String dw = GraphRewrites.addWeight(g, names.next("depthwise.weight"), Tensor.of(fit.depthwise, s.c(), 1, s.r(), s.s()));
        String pw = GraphRewrites.addWeight(g, names.next("pointwise.weight"), Tensor.of(fit.pointwise, s.k(), s.c(), 1, 1));
        String pb = GraphRewrites.addWeight(g, names.next("pointwise.bias"), Tensor.of(fit.bias, s.k()));
        String mid = names.next("depthwise");
        Node n = s.node();
        GraphRewrites.replace(g, n, List.of(
                GraphRewrites.conv(names.next("depthwise"), n.input(0), dw, null, mid, s.r(), s.s(), s.strides(), s.pads(), s.dilations(), s.c()),
                GraphRewrites.pointwise(names.next("pointwise"), mid, pw, pb, n.output(0))));
    }
}
