package io.nnzip.quant.qdq;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where Q/DQ pairs go in a graph (after activation fusion): the activation tensors to quantize, which of them
 * must reuse another tensor's scale (outputs of data-movement ops), and the weight ops whose weights become
 * int8. Tensor names are the float graph's, so calibration statistics look them up directly.
 */
public final class QdqPlan {
    public final Graph graph;
    public final Set<String> activations = new LinkedHashSet<>();
    public final Map<String, String> sameScaleAs = new LinkedHashMap<>();
    public final List<Node> weightOps = new ArrayList<>();
    /** Float-computing layers whose weights are still stored as int8 behind a DequantizeLinear. */
    public final List<Node> weightOnly = new ArrayList<>();
    /** Activation nodes removed because their producer's quantized output range implements them. */
    public final List<String> fusedActivations = new ArrayList<>();

    QdqPlan(Graph graph) { this.graph = graph; }

    /** Tensors whose ranges must be calibrated (the rest inherit a scale). */
    public Set<String> calibrated() {
        Set<String> s = new LinkedHashSet<>(activations);
        s.removeAll(sameScaleAs.keySet());
        return s;
    }

    /** The tensor whose scale {@code t} uses, following chains of data-movement ops. */
    public String scaleSource(String t) {
        String cur = t;
        for (int guard = 0; sameScaleAs.containsKey(cur) && guard < 10_000; guard++) cur = sameScaleAs.get(cur);
        return cur;
    }
}
