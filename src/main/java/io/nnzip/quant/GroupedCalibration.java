package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LayerInputs;
import io.nnzip.quant.prep.InputScaling;
import io.nnzip.quant.weight.Awq;
import io.nnzip.quant.weight.Gptq;
import io.nnzip.quant.weight.GroupedInts;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Grouped weight-only quantization that looks at calibration data: the inputs of every linear layer (MatMul / Gemm
 * with a weight) are recorded once on the float model; then, per activation, AWQ scaling (--awq) is searched and
 * applied to the model in place, and GPTQ (--gptq) quantizes each layer against its input Hessian (rescaled by the
 * AWQ factors). Convs keep plain rounding. Layers quantize independently from the float inputs (not from the
 * already-quantized predecessors), which is enough for small models and keeps one calibration run.
 */
final class GroupedCalibration {
    /** GPTQ's integers by weight initializer name (empty without --gptq) and the report notes. */
    record Result(Map<String, GroupedInts> ints, Map<String, Object> notes) {}

    private GroupedCalibration() {}

    static Result run(Model base, QuantConfig cfg, List<Tensor> batches, ToIntFunction<Node> groupOf, int bits, Consumer<String> log) {
        Graph g = base.graph();
        Map<String, List<Node>> byInput = new LinkedHashMap<>();
        for (Node n : g.nodes())
            if (!cfg.exclude.contains(n.name()) && InputScaling.scalable(g, n) && g.initializer(n.input(1)).dtype() == DType.FLOAT)
                byInput.computeIfAbsent(n.input(0), t -> new ArrayList<>()).add(n);
        Map<String, LayerInputs.Stats> stats = LayerInputs.capture(base, byInput.keySet(), batches, cfg.threads);
        Map<String, Object> notes = new LinkedHashMap<>();
        Map<String, double[]> hess = new LinkedHashMap<>();
        for (Map.Entry<String, LayerInputs.Stats> e : stats.entrySet()) hess.put(e.getKey(), e.getValue().hessian());
        if (cfg.awq) {
            Map<String, Object> chosen = new LinkedHashMap<>();
            for (Map.Entry<String, List<Node>> e : byInput.entrySet()) {
                LayerInputs.Stats st = stats.get(e.getKey());
                List<Node> layers = e.getValue();
                List<float[]> mats = InputScaling.rowsByInput(g, layers, st.k(), new LinkedHashMap<>());
                Awq.Result r = Awq.search(mats, st.k(), hess.get(e.getKey()), st.absMean(), groupOf.applyAsInt(layers.get(0)), bits, cfg.awqGrid);
                String how = "none";
                if (r.alpha() > 0) {
                    how = InputScaling.apply(g, e.getKey(), r.scales(), layers, true).name().toLowerCase(java.util.Locale.ROOT);
                    hess.put(e.getKey(), rescale(hess.get(e.getKey()), r.scales()));
                }
                chosen.put(layers.get(0).name(), Map.of("alpha", r.alpha(), "error_vs_rounding", r.plainError() > 0 ? r.error() / r.plainError() : 1.0, "folded_into", how));
            }
            notes.put("awq", chosen);
            log.accept("AWQ: scales chosen for " + chosen.size() + " layer inputs");
        }
        Map<String, GroupedInts> ints = new LinkedHashMap<>();
        if (cfg.gptq) {
            double sumG = 0, sumR = 0;
            for (Map.Entry<String, List<Node>> e : byInput.entrySet()) {
                int k = stats.get(e.getKey()).k();
                double[] h = hess.get(e.getKey());
                Map<Node, Integer> rows = new LinkedHashMap<>();
                List<float[]> mats = InputScaling.rowsByInput(g, e.getValue(), k, rows);
                for (int i = 0; i < mats.size(); i++) {
                    Node l = e.getValue().get(i);
                    int n = rows.get(l), group = groupOf.applyAsInt(l);
                    GroupedInts gi = Gptq.quantize(mats.get(i), n, k, h, group, bits, cfg.gptqDamp);
                    ints.put(l.input(1), gi);
                    sumG += Gptq.outputError(mats.get(i), gi.decoded(), n, k, h);
                    sumR += Gptq.outputError(mats.get(i), GroupedLinearQuantizer.round(mats.get(i), n, k, group, bits).decoded(), n, k, h);
                }
            }
            notes.put("gptq_layers", ints.size());
            notes.put("gptq_error_vs_rounding", sumR > 0 ? sumG / sumR : 1.0);
            log.accept("GPTQ: " + ints.size() + " layers, calibration output error " + String.format("%.3f", sumR > 0 ? sumG / sumR : 1.0) + "× plain rounding's");
        }
        return new Result(ints, notes);
    }

    /** The moments of x/s: H_ij / (s_i s_j). */
    private static double[] rescale(double[] h, float[] s) {
        int k = s.length;
        double[] o = new double[h.length];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) o[i * k + j] = h[i * k + j] / ((double) s[i] * s[j]);
        return o;
    }
}
