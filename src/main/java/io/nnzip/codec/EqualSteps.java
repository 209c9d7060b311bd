package io.nnzip.codec;

import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-tensor QPs that give every quantized weight tensor about one absolute step, σ_all · 2^(QP/4), σ_all being the
 * RMS of the tensors' standard deviations weighted by their sizes. A QP relative to each tensor's own σ spends as
 * many bits per weight on a layer of small weights as on one of large weights; one absolute step is where the total
 * squared error falls fastest per bit (equal slopes), and it keeps small, wide-spread layers (a classifier head,
 * a convolution with a BatchNorm scale folded in) finer than the bulk. QPs are whole numbers, so steps agree within
 * ±9 %. The recipe records them as ordinary per-tensor QPs, so decoders and re-coding receivers need nothing new.
 */
public final class EqualSteps {
    private EqualSteps() {}

    public static Map<String, Integer> qps(Model m, int qp) {
        Map<String, Double> var = new TreeMap<>();
        double num = 0, den = 0;
        for (var e : m.graph().initializers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() != DType.FLOAT || t.rank() < 2 || t.size() < CodecOptions.MIN_QUANTIZED) continue;
            double s = 0, ss = 0;
            for (float v : t.floats()) {
                s += v;
                ss += (double) v * v;
            }
            double v = Math.max(0, ss / t.size() - (s / t.size()) * (s / t.size()));
            if (!(v > 0)) continue;
            var.put(e.getKey(), v);
            num += v * t.size();
            den += t.size();
        }
        Map<String, Integer> o = new TreeMap<>();
        if (den == 0) return o;
        double ref = num / den;
        // 4·log2(σ_all/σ_t) = 2·log2(var_all/var_t)
        var.forEach((k, v) -> o.put(k, (int) Math.max(CodecOptions.QP_MIN, Math.min(CodecOptions.QP_MAX, Math.round(qp + 2 * Math.log(ref / v) / Math.log(2))))));
        return o;
    }
}
