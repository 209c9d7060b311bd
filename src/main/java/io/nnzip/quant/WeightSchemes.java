package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.report.LayerReport;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import io.nnzip.quant.weight.InqQuantizer;
import io.nnzip.quant.weight.KMeansQuantizer;
import io.nnzip.quant.weight.OpsetUpgrade;
import io.nnzip.quant.weight.SignScaleQuantizer;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The weight-only schemes (grouped int4/int2, k-means sharing, binary, ternary, INQ) behind one entry point:
 * pick the storage container ONNX Runtime runs, encode every weight layer, record the recipe.
 */
public final class WeightSchemes {
    public record Applied(Model model, List<LayerReport.Row> rows, Map<String, Object> notes) {}

    private WeightSchemes() {}

    public static Applied apply(Model floatModel, Scheme s, QuantConfig cfg, String trainSpec, Consumer<String> log) {
        boolean int4 = switch (cfg.container) {
            case "auto" -> OpsetUpgrade.canUpgrade(floatModel);
            case "int4" -> {
                if (!OpsetUpgrade.canUpgrade(floatModel)) throw new NnzipException("--container int4 needs opset 21; this model (opset " + floatModel.opset() + ") has ops nnzip does not upgrade");
                yield true;
            }
            case "int8" -> false;
            default -> throw new NnzipException("--container must be auto, int4 or int8, not '" + cfg.container + "'");
        };
        if (s.kind() == Scheme.Kind.GROUPED && (cfg.groupSize < 2 || cfg.groupSize > 4096)) throw new NnzipException("--group-size must be in [2, 4096]");
        if (s.kind() == Scheme.Kind.INT8) throw new NnzipException("int8 --weight-only is not offered: use --scheme int8 (static QDQ) or int4");
        Model base = floatModel.copy();
        if (cfg.finetune > 0 || cfg.qat > 0)
            throw new NnzipException("--finetune / --qat need nnzip's training engine, which this build does not include yet");
        BiFunction<Tensor, Integer, EncodedWeight> enc = switch (s.kind()) {
            case GROUPED -> new GroupedLinearQuantizer(s.bits(), cfg.groupSize, int4)::encode;
            case KMEANS -> (w, axis) -> new KMeansQuantizer(s.bits(), 50).encode(w, int4);
            case BINARY -> new SignScaleQuantizer(false, int4)::encode;
            case TERNARY -> new SignScaleQuantizer(true, int4)::encode;
            case INQ -> (w, axis) -> {
                // without re-training every step of the schedule fixes weights directly; the last fixes all
                InqQuantizer q = new InqQuantizer(s.bits());
                float[] v = w.toFloats().clone();
                boolean[] fixed = new boolean[v.length];
                int[] bounds = q.exponents(v);
                for (double share : InqQuantizer.SCHEDULE) q.fix(v, fixed, share, bounds);
                return q.encode(w, v, int4);
            };
            case INT8 -> throw new IllegalStateException();
        };
        Model out = base.copy();
        if (int4) OpsetUpgrade.to21(out);
        List<WeightOnlyQuantizer.Layer> layers = WeightOnlyQuantizer.apply(out, cfg.exclude, enc);
        if (layers.isEmpty()) throw new NnzipException("no Conv/Gemm/MatMul weight initializers to quantize");
        Map<String, Object> notes = new LinkedHashMap<>();
        notes.put("container", int4 ? "int4 (opset 21)" : "int8 (opset " + out.opset() + ")");
        notes.put("quantized_layers", layers.size());
        cfg.record(out, Map.of("container_used", int4 ? "int4" : "int8"));
        log.accept("encoded " + layers.size() + " weight layers (" + notes.get("container") + ")");
        return new Applied(out, QuantizePipeline.weightRows(layers), notes);
    }
}
