package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.ir.Version;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Every option of the quantize pass, each a described field. The whole recipe, plus tool version and platform,
 * goes into the output model's metadata ({@code nnzip.quantize}), so a result says how it was made.
 */
public final class QuantConfig {
    @Described("int8 (static PTQ, QDQ), int4 / int2 (grouped weight-only), kmeans:BITS, binary, ternary, inq:BITS")
    public String scheme = "int8";
    @Described("int8: one weight scale per output channel (else one per tensor)")
    public boolean perChannel = true;
    @Described("int8: activations symmetric int8 with zero point 0 (else asymmetric uint8)")
    public boolean symmetric = false;
    @Described("int8: activation range calibrator: minmax, percentile:P, entropy or mse")
    public String calibration = "minmax";
    @Described("number of calibration samples")
    public int calibSize = 512;
    @Described("node names left in float")
    public Set<String> exclude = new LinkedHashSet<>();
    @Described("int8: cross-layer equalization of Conv→ReLU→Conv pairs before calibration")
    public boolean equalize = false;
    @Described("int8: correct each layer's bias for the mean shift its weight quantization causes")
    public boolean biasCorrection = false;
    @Described("int8: keep dense convs with a reduction depth below 16 (e.g. a first layer on 1-channel input) in float, where ORT's float kernel is faster")
    public boolean floatShallowConvs = true;
    @Described("int8: largest accuracy drop (points) allowed; sensitive layers fall back to float until met (negative = off)")
    public double maxDrop = -1;
    @Described("int4/int2: weights per scale along the input axis")
    public int groupSize = 64;
    @Described("weight-only schemes: storage of integer weights: int4 (opset 21 DequantizeLinear), int8 (any opset), float (decoded values), auto (int4 for int4/int2 where the opset allows; else int8, which ORT decodes once at load)")
    public String container = "auto";
    @Described("weight-only: quantize weights only (activations stay float)")
    public boolean weightOnly = false;
    @Described("kmeans: epochs of centroid fine-tuning (gradients summed per cluster)")
    public int finetune = 0;
    @Described("QAT epochs with fake-quantization and straight-through gradients (0 = none)")
    public int qat = 0;
    @Described("int8 QAT: activation ranges learned (LSQ, gradient to the scale) or ema (tracked min/max)")
    public String qatRanges = "learned";
    @Described("QAT / fine-tuning: Adam learning rate")
    public float lr = 1e-4f;
    @Described("QAT / fine-tuning: use only the first N training images (0 = all)")
    public int trainLimit = 0;
    @Described("threads for ONNX Runtime")
    public int threads = 2;
    @Described("random seed (data order in fine-tuning)")
    public long seed = 1;

    /** Field name → current value. */
    public Map<String, Object> values() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Field f : QuantConfig.class.getFields())
            if (f.isAnnotationPresent(Described.class)) {
                try {
                    Object v = f.get(this);
                    m.put(f.getName(), v instanceof Set<?> s ? String.join(",", s.stream().map(String::valueOf).toList()) : v);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        return m;
    }

    /** Field name → description. */
    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Field f : QuantConfig.class.getFields()) if (f.isAnnotationPresent(Described.class)) m.put(f.getName(), f.getAnnotation(Described.class).value());
        return m;
    }

    /** Writes the recipe and provenance into {@code m}'s metadata. */
    public void record(Model m, Map<String, Object> extra) {
        StringBuilder sb = new StringBuilder("{");
        Map<String, Object> all = new LinkedHashMap<>(values());
        all.putAll(extra);
        all.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(json(v)));
        sb.append('}');
        m.metadata().put("nnzip.quantize", sb.toString());
        m.metadata().put("nnzip.provenance", "nnzip " + Version.VERSION + "; Java " + Runtime.version() + "; "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }

    private static String json(Object v) {
        if (v instanceof Number || v instanceof Boolean) return String.valueOf(v);
        return '"' + String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
