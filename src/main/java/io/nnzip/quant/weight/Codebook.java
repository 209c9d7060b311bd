package io.nnzip.quant.weight;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Weight sharing storage: a small float codebook per layer and one index per weight. In ONNX the indices are
 * uint4 (opset 21, two per byte) or uint8. uint8 indices go through Cast(int64) → Gather(codebook), which ORT's
 * constant folding evaluates once at session load, so the model then runs at float speed. uint4 needs
 * DequantizeLinear(scale 1) in front (ORT has no Cast from uint4), and ORT never constant-folds DequantizeLinear
 * (it keeps Q/DQ for its fusions), so that form decodes the weights on every run: compact but slower.
 */
public final class Codebook {
    private Codebook() {}

    public static EncodedWeight encode(Tensor w, float[] codebook, int[] index, int bits, boolean uint4) {
        float[] values = new float[index.length];
        for (int i = 0; i < index.length; i++) values[i] = codebook[index[i]];
        int[] shape = w.shape();
        DType t = uint4 && codebook.length <= 16 ? DType.UINT4 : DType.UINT8;
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float c : codebook) {
            lo = Math.min(lo, c);
            hi = Math.max(hi, c);
        }
        long bytes = t.rawBytes(index.length) + 4L * codebook.length;
        EncodedWeight.Emitter emit = (g, base) -> {
            String idx = Containers.init(g, base + "_index", Containers.ints(t, shape, index));
            if (t == DType.UINT4) {
                String one = Containers.init(g, base + "_one", Tensor.scalar(1f));
                idx = Containers.node(g, "DequantizeLinear", base + "_index_f", new ArrayList<>(List.of(idx, one)));
            }
            String l = Containers.node(g, "Cast", base + "_index_i", new ArrayList<>(List.of(idx)), Attribute.of("to", (long) DType.INT64.onnx));
            String cb = Containers.init(g, base + "_codebook", Tensor.of(codebook.clone(), codebook.length));
            return Containers.node(g, "Gather", base + "_shared", new ArrayList<>(List.of(cb, l)), Attribute.of("axis", 0L));
        };
        return new EncodedWeight(values, bits, t.lower() + " index + " + codebook.length + " floats", bytes, lo, hi, 0, emit);
    }
}
