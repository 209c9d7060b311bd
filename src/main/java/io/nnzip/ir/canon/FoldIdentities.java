package io.nnzip.ir.canon;

import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Node;
import java.util.List;

/**
 * Removes {@code Identity} nodes. An Identity over an initializer becomes an initializer of its own (same tensor,
 * the Identity's output name): exporters deduplicate equal weights — PyTorch feeds one zero bias to many
 * convolutions this way — and a pass must see each convolution's bias as a constant it may slice on its own.
 * Other Identities are bypassed. Identities that write a graph output stay, so the output keeps its name.
 */
final class FoldIdentities {
    private FoldIdentities() {}

    static int apply(Graph g) {
        int n = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node id : List.copyOf(g.nodes())) {
                if (!id.opType().equals("Identity") || !id.domain().isEmpty() || g.outputNames().contains(id.output(0))) continue;
                if (g.isInitializer(id.input(0))) {
                    g.initializers().put(id.output(0), g.initializer(id.input(0)));
                    g.nodes().remove(id);
                } else if (!GraphEdits.bypass(g, id)) continue;
                n++;
                changed = true;
            }
        }
        return n;
    }
}
