package io.nnzip.lowrank;

import java.util.LinkedHashMap;
import java.util.Map;

/** One layer's line in the factorize report: what was chosen, what it costs, and how far the kernel moved. */
public record LayerReport(String layer, String op, String status, String ranks, long macsBefore, long macsAfter,
                          long paramsBefore, long paramsAfter, double predictedError, double kernelError) {
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", layer);
        m.put("op", op);
        m.put("status", status);
        m.put("ranks", ranks);
        m.put("macs_before", macsBefore);
        m.put("macs_after", macsAfter);
        m.put("params_before", paramsBefore);
        m.put("params_after", paramsAfter);
        m.put("predicted_error", Double.isNaN(predictedError) ? null : predictedError);
        m.put("kernel_error", Double.isNaN(kernelError) ? null : kernelError);
        return m;
    }
}
