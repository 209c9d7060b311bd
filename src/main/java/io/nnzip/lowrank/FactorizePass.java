package io.nnzip.lowrank;

import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The factorize pass: find the layers the method applies to (optionally filtered by a name pattern), analyse
 * each one's decomposition, choose ranks globally, rewrite the graph and report per layer. The input model is
 * not modified; the result carries its provenance in metadata.
 */
public final class FactorizePass {
    public record Result(Model model, List<LayerReport> layers, long macsBefore, long macsAfter, long paramsBefore, long paramsAfter) {
        public Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("macs_before", macsBefore);
            m.put("macs_after", macsAfter);
            m.put("macs_ratio", macsBefore == 0 ? 0 : (double) macsAfter / macsBefore);
            m.put("params_before", paramsBefore);
            m.put("params_after", paramsAfter);
            m.put("params_ratio", paramsBefore == 0 ? 0 : (double) paramsAfter / paramsBefore);
            m.put("layers_factorized", layers.stream().filter(l -> l.status().equals("factorized")).count());
            return m;
        }
    }

    private FactorizePass() {}

    public static Result run(Model input, FactorizeConfig cfg) { return run(input, cfg, null); }

    /** @param calib the model's input on calibration images (svd-asym only; null otherwise) */
    public static Result run(Model input, FactorizeConfig cfg, io.nnzip.ir.Tensor calib) {
        cfg.check();
        Model m = input.copy();
        io.nnzip.engine.Canonical.apply(m);
        Graph g = m.graph();
        AsymSvdLinearFactorizer.Inputs inputs = calib == null ? null : layerInputs(m, calib);
        Map<String, ValueType> types = ShapeInference.infer(g, m.opset(), 1, Map.of());
        Pattern pattern = cfg.layers() == null ? null : Pattern.compile(cfg.layers());
        List<LayerFactorizer> fs = new ArrayList<>();
        List<LayerReport> reports = new ArrayList<>();
        for (Node n : new ArrayList<>(g.nodes())) {
            String name = n.name().isEmpty() ? n.output(0) : n.name();
            if (pattern != null && !pattern.matcher(name).find()) continue;
            Object site = cfg.linear() ? LinearSite.of(n, g, types) : ConvSite.of(n, g, types);
            if (site instanceof ConvSite.Rejection r) {
                if (isCandidateOp(n, cfg.method())) reports.add(skipped(n, name, r.reason()));
                continue;
            }
            LayerFactorizer f = factorizer(site, cfg, inputs);
            if (f == null) {
                reports.add(skipped(n, name, site instanceof ConvSite cs ? "kernel " + kernelOf(cs) + " has nothing to separate"
                        : "batched MatMul (TT takes 2-D inputs)"));
                continue;
            }
            fs.add(f);
        }
        if (fs.isEmpty()) throw new NnzipException("no layer to factorize with --method " + cfg.method().name().toLowerCase()
                + (pattern != null ? " matching --layers '" + cfg.layers() + "'" : "")
                + (reports.isEmpty() ? "" : " (" + reports.getFirst().layer() + ": " + reports.getFirst().status() + ")"));
        ModelStats before = ModelStats.of(input);
        List<Choice> choices = RankSelector.select(fs, cfg, before.macs);
        for (int i = 0; i < fs.size(); i++) {
            LayerFactorizer f = fs.get(i);
            Choice c = choices.get(i);
            if (c == null) {
                reports.add(new LayerReport(f.layer(), f.op(), "kept: factorized form not smaller", "", f.originalMacs(), f.originalMacs(),
                        f.originalParams(), f.originalParams(), Double.NaN, 0));
                continue;
            }
            double err = f.apply(g, c);
            reports.add(new LayerReport(f.layer(), f.op(), "factorized", c.rankString(), f.originalMacs(), c.macs(), f.originalParams(),
                    c.params(), c.predictedError(), err));
        }
        g.removeUnusedInitializers();
        GraphValidator.validate(g);
        ModelStats after = ModelStats.of(m);
        Result r = new Result(m, reports, before.macs, after.macs, before.params, after.params);
        Map<String, Object> summary = r.summary();
        List<Map<String, Object>> ranks = new ArrayList<>();
        for (LayerReport l : reports) if (l.status().equals("factorized")) ranks.add(Map.of("layer", l.layer(), "ranks", l.ranks()));
        summary.put("ranks", ranks);
        io.nnzip.pass.Provenance.record(m, "factorize", cfg, null, summary);
        return r;
    }

    /** Layer inputs on the calibration images: in the original network (fixed) and in the one being rewritten (now). */
    private static AsymSvdLinearFactorizer.Inputs layerInputs(Model m, io.nnzip.ir.Tensor calib) {
        Model orig = m.copy();
        String in = m.graph().runtimeInputs().getFirst().name();
        return (current, value) -> {
            if (current != m.graph()) throw new IllegalStateException("layer inputs of a foreign graph");
            return new double[][] {capture(orig, in, calib, value), capture(m, in, calib, value)};
        };
    }

    /** {@code value} over all calibration rows, run in batches, as doubles (rows concatenated). */
    private static double[] capture(Model m, String input, io.nnzip.ir.Tensor calib, String value) {
        io.nnzip.engine.Executor ex = new io.nnzip.engine.Executor(m.graph(), m.opset(), io.nnzip.engine.Parallel.common());
        int n = calib.dim(0), row = calib.size() / n;
        double[] out = null;
        int off = 0;
        for (int lo = 0; lo < n; lo += 128) {
            int hi = Math.min(n, lo + 128);
            int[] shape = calib.shape();
            shape[0] = hi - lo;
            float[] part = java.util.Arrays.copyOfRange(calib.floats(), lo * row, hi * row);
            float[] v = ex.run(Map.of(input, io.nnzip.ir.Tensor.of(part, shape)), List.of(value)).get(value).toFloats();
            if (out == null) out = new double[v.length / (hi - lo) * n];
            for (float f : v) out[off++] = f;
        }
        return out;
    }

    static LayerFactorizer factorizer(Object site, FactorizeConfig cfg, AsymSvdLinearFactorizer.Inputs inputs) {
        return switch (cfg.method()) {
            case SVD -> new SvdLinearFactorizer((LinearSite) site);
            case SVD_ASYM -> new AsymSvdLinearFactorizer((LinearSite) site, inputs, cfg.alsIterations());
            case TT -> !((LinearSite) site).batched() ? new TtLinearFactorizer((LinearSite) site, cfg.ttCores()) : null;
            case BTD -> {
                ConvSite s = (ConvSite) site;
                yield s.k() > 1 && s.c() > 1 ? new BtdConvFactorizer(s, cfg.blocks(), cfg.alsIterations(), cfg.hooiSweeps()) : null;
            }
            case SPATIAL -> {
                ConvSite s = (ConvSite) site;
                yield s.r() > 1 && s.s() > 1 ? new SpatialConvFactorizer(s) : null;
            }
            case TUCKER -> {
                ConvSite s = (ConvSite) site;
                yield s.r() * s.s() > 1 || (s.k() > 1 && s.c() > 1) ? new TuckerConvFactorizer(s, cfg.hooiSweeps()) : null;
            }
            case CP -> {
                ConvSite s = (ConvSite) site;
                yield s.r() * s.s() > 1 ? new CpConvFactorizer(s, cfg.cpIterations(), cfg.seed()) : null;
            }
        };
    }

    private static boolean isCandidateOp(Node n, FactorizeConfig.Method m) {
        return m == FactorizeConfig.Method.SVD || m == FactorizeConfig.Method.TT || m == FactorizeConfig.Method.SVD_ASYM ? n.opType().equals("Gemm") || n.opType().equals("MatMul") : n.opType().equals("Conv");
    }

    private static String kernelOf(ConvSite s) { return s.r() + "x" + s.s(); }

    private static LayerReport skipped(Node n, String name, String reason) {
        return new LayerReport(name, n.opType(), "skipped: " + reason, "", 0, 0, 0, 0, Double.NaN, Double.NaN);
    }
}
