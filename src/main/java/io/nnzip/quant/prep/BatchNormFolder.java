package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
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
            boolean constants = true;
            for (int i = 1; i <= 4; i++) constants &= g.isInitializer(bn.input(i));
            if (!constants || conv.hasInput(2) && !g.isInitializer(conv.input(2))) continue;
            float eps = bn.attrFloat("epsilon", 1e-5f);
            float[] gamma = g.initializer(bn.input(1)).toFloats(), beta = g.initializer(bn.input(2)).toFloats();
            float[] mean = g.initializer(bn.input(3)).toFloats(), var = g.initializer(bn.input(4)).toFloats();
            Tensor w = g.initializer(conv.input(1));
            int k = w.dim(0), per = w.size() / k;
            float[] nw = w.toFloats().clone();
            float[] b = conv.hasInput(2) ? g.initializer(conv.input(2)).toFloats() : new float[k];
            float[] nb = new float[k];
            for (int c = 0; c < k; c++) {
                double s = gamma[c] / Math.sqrt(var[c] + eps);
                for (int j = 0; j < per; j++) nw[c * per + j] = (float) (nw[c * per + j] * s);
                nb[c] = (float) ((b[c] - mean[c]) * s + beta[c]);
            }
            String wName = g.freshName(conv.input(1) + "_bnfolded"), bName = g.freshName(conv.input(1) + "_bnbias");
            g.initializers().put(wName, Tensor.of(nw, w.shape()));
            g.initializers().put(bName, Tensor.of(nb, k));
            conv.inputs().set(1, wName);
            while (conv.inputs().size() < 3) conv.inputs().add("");
            conv.inputs().set(2, bName);
            // the conv now produces the BN's output directly
            conv.outputs().set(0, bn.output(0));
            g.nodes().remove(bn);
            folded++;
        }
        if (folded > 0) g.removeUnusedInitializers();
        return folded;
    }
}
