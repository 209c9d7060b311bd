package io.nnzip.quant.prep;

import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.LayerInputs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SmoothQuant (Xiao et al., 2023) before static int8: transformer activations have a few channels far larger than
 * the rest, which one per-tensor activation scale cannot resolve, while weights are easy to quantize per channel.
 * s_k = max|x_k|^α / max|w_k|^(1−α) moves that difficulty into the weights: x/s is folded into the LayerNorm that
 * produces x (gamma, beta), W gets row k times s_k. Activations without a LayerNorm in front are left alone (a Mul
 * there would run in float between integer ops).
 */
public final class SmoothQuant {
    private SmoothQuant() {}

    /** Smooths in place; returns layer name → "layernorm" or "skipped" (no foldable LayerNorm). */
    public static Map<String, String> apply(Model m, double alpha, List<Tensor> batches, Set<String> exclude, int threads) {
        if (!(alpha >= 0 && alpha <= 1)) throw new NnzipException("--smoothquant must be in [0, 1], not " + alpha);
        Graph g = m.graph();
        Map<String, List<Node>> byInput = new LinkedHashMap<>();
        for (Node n : g.nodes())
            if (!exclude.contains(n.name()) && InputScaling.scalable(g, n) && g.initializer(n.input(1)).dtype() == DType.FLOAT)
                byInput.computeIfAbsent(n.input(0), t -> new ArrayList<>()).add(n);
        Map<String, LayerInputs.Stats> stats = LayerInputs.capture(m, byInput.keySet(), batches, threads);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Node>> e : byInput.entrySet()) {
            LayerInputs.Stats st = stats.get(e.getKey());
            int k = st.k();
            float[] wmax = new float[k];
            for (float[] w : InputScaling.rowsByInput(g, e.getValue(), k, new LinkedHashMap<>()))
                for (int i = 0; i < w.length; i++) wmax[i % k] = Math.max(wmax[i % k], Math.abs(w[i]));
            float[] s = new float[k];
            for (int i = 0; i < k; i++) {
                double v = Math.pow(Math.max(st.absMax()[i], 1e-5), alpha) / Math.pow(Math.max(wmax[i], 1e-5), 1 - alpha);
                s[i] = (float) Math.max(v, 1e-5);
            }
            InputScaling.How how = InputScaling.apply(g, e.getKey(), s, e.getValue(), false);
            for (Node n : e.getValue()) out.put(n.name(), how == InputScaling.How.NONE ? "skipped" : "layernorm");
        }
        return out;
    }
}
