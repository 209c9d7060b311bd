package io.nnzip.quant;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.TopoSort;
import io.nnzip.quant.report.LayerReport;
import java.util.ArrayList;
import java.util.List;

/**
 * Dynamic int8 ({@code --scheme dynamic-int8}): weights of every MatMul with a 2-D weight become int8 (per output
 * column when per-channel), activations are quantized at run time from each batch's own range. Each layer is
 * written as the standard ops DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale · w_scale), the pattern ONNX
 * Runtime fuses into one DynamicQuantizeMatMul; no calibration data is needed.
 */
public final class DynamicInt8Quantizer {
    public record Result(Model model, List<LayerReport.Row> rows, int layers) {}

    private DynamicInt8Quantizer() {}

    public static Result apply(Model floatModel, QuantConfig cfg) {
        Model out = floatModel.copy();
        Graph g = out.graph();
        List<LayerReport.Row> rows = new ArrayList<>();
        for (Node mm : List.copyOf(g.nodes())) {
            if (!mm.opType().equals("MatMul") || cfg.exclude.contains(mm.name()) || !g.isInitializer(mm.input(1))) continue;
            Tensor w = g.initializer(mm.input(1));
            if (w.rank() != 2 || w.dtype() != DType.FLOAT) continue;
            ChannelQuantizer.Result r = ChannelQuantizer.quantize(w, 1, cfg.perChannel, DType.INT8);
            String base = mm.name().isEmpty() ? mm.output(0) : mm.name();
            String wq = g.freshName(mm.input(1) + "_q"), wzp = g.freshName(mm.input(1) + "_zp"), ws = g.freshName(mm.input(1) + "_scale");
            g.initializers().put(wq, r.q());
            g.initializers().put(wzp, r.params().zeroPointTensor());
            g.initializers().put(ws, r.params().scaleTensor());
            String xq = g.freshName(base + "_xq"), xs = g.freshName(base + "_xscale"), xzp = g.freshName(base + "_xzp");
            String acc = g.freshName(base + "_int32"), accf = g.freshName(base + "_int32_float"), scale = g.freshName(base + "_scale");
            int at = g.nodes().indexOf(mm);
            g.nodes().remove(mm);
            Node cast = new Node(base + "_cast", "Cast", List.of(acc), List.of(accf));
            cast.set(Attribute.of("to", (long) DType.FLOAT.onnx));
            g.nodes().addAll(at, List.of(
                    new Node(base + "_dynq", "DynamicQuantizeLinear", List.of(mm.input(0)), List.of(xq, xs, xzp)),
                    new Node(mm.name(), "MatMulInteger", List.of(xq, wq, xzp, wzp), List.of(acc)),
                    cast,
                    new Node(base + "_scales", "Mul", List.of(xs, ws), List.of(scale)),
                    new Node(base + "_rescale", "Mul", List.of(accf, scale), List.of(mm.output(0)))));
            float[] sc = r.params().scale();
            float lo = Float.MAX_VALUE, hi = 0;
            for (float v : sc) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            rows.add(new LayerReport.Row(mm.name(), "MatMul", mm.output(0), 8, lo, hi, 0, w.toFloats(), r.dequantized(),
                    r.q().byteSize() + 4L * sc.length, "int8 per-" + (sc.length > 1 ? "channel" : "tensor") + " weights, dynamic int8 activations"));
        }
        g.removeUnusedInitializers();
        TopoSort.sort(g);
        return new Result(out, rows, rows.size());
    }
}
