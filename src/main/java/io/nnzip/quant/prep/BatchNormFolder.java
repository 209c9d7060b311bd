package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.List;
import java.util.Map;

/**
 * Folds inference-mode BatchNormalization into the preceding Conv: with k = γ/√(σ²+ε) per output channel,
 * w' = w·k and b' = (b − μ)·k + β. Only when the Conv's output feeds nothing but the BN and every BN parameter
 * is a constant; otherwise the BN stays (and stays float). Returns how many were folded.
 */
public final class BatchNormFolder {
    private BatchNormFolder() {}

    public static int fold(Graph g) {
        int folded = 0;
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> producers = g.producers();
        for (Node bn : List.copyOf(g.nodes())) {
            if (!bn.opType().equals("BatchNormalization") || bn.outputs().size() > 1 && !bn.output(1).isEmpty()) continue;
            Node conv = producers.get(bn.input(0));
            if (conv == null || !conv.opType().equals("Conv") || consumers.getOrDefault(conv.output(0), List.of()).size() != 1) continue;
            if (g.outputNames().contains(conv.output(0)) || !g.isInitializer(conv.input(1))) continue;
            if (!io.nnzip.engine.Fusion.foldBatchNorm(g, conv, bn)) continue;
            // the conv now produces the BN's output directly
            conv.outputs().set(0, bn.output(0));
            g.nodes().remove(bn);
            folded++;
        }
        if (folded > 0) g.removeUnusedInitializers();
        return folded;
    }
}
