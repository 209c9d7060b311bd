package io.nnzip.quant.report;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.QuantMath;
import io.nnzip.quant.calib.ActivationRecorder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row per quantized layer: bits, scale range and zero point, weight SQNR, output SQNR (the layer's output in
 * the quantized model against the float model on the same samples) and stored bytes.
 */
public final class LayerReport {
    /** What a quantizer knows about one layer before the output error is measured. */
    public record Row(String node, String op, String output, int bits, float minScale, float maxScale, int zeroPoint,
                      float[] weight, float[] weightApprox, long bytes, String storage) {}

    private LayerReport() {}

    public static List<Map<String, Object>> build(List<Row> rows, Model reference, Model quantized, Tensor batch, int threads) {
        Map<String, Double> outSqnr = outputSqnr(rows, reference, quantized, batch, threads);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", r.node());
            m.put("op", r.op());
            m.put("bits", r.bits());
            m.put("storage", r.storage());
            m.put("scale_min", r.minScale());
            m.put("scale_max", r.maxScale());
            m.put("zero_point", r.zeroPoint());
            m.put("weight_sqnr_db", round(QuantMath.sqnr(r.weight(), r.weightApprox())));
            Double o = outSqnr.get(r.output());
            if (o != null) m.put("output_sqnr_db", round(o));
            m.put("bytes", r.bytes());
            m.put("float_bytes", 4L * r.weight().length);
            out.add(m);
        }
        return out;
    }

    static Map<String, Double> outputSqnr(List<Row> rows, Model reference, Model quantized, Tensor batch, int threads) {
        Map<String, Double> r = new LinkedHashMap<>();
        // a layer fused into a larger op (QAttention) has no output of its own left in the quantized graph
        java.util.Set<String> made = quantized.graph().producers().keySet();
        List<String> names = rows.stream().map(Row::output).filter(n -> n != null && !n.isEmpty() && made.contains(n)).distinct().toList();
        if (batch == null || names.isEmpty()) return r;
        Map<String, Tensor> a, b;
        try (ActivationRecorder ra = new ActivationRecorder(reference, names, threads); ActivationRecorder rb = new ActivationRecorder(quantized, names, threads)) {
            a = ra.run(batch);
            b = rb.run(batch);
        }
        for (String n : names)
            if (a.containsKey(n) && b.containsKey(n) && a.get(n).size() == b.get(n).size()) r.put(n, QuantMath.sqnr(a.get(n).toFloats(), b.get(n).toFloats()));
        return r;
    }

    static double round(double v) { return Double.isInfinite(v) ? 999 : Math.round(v * 100) / 100.0; }
}
