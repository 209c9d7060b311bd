package io.nnzip.quant.prep;

import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphEdits;
import io.nnzip.ir.Node;
import java.util.List;

/**
 * Removes nodes that are the identity at inference: Identity, and Dropout without a training-mode input (or its
 * mask output). Left in place they would sit between a quantized op and its reader and break ORT's fusion.
 */
public final class InferenceCleanup {
    private InferenceCleanup() {}

    public static int removeIdentities(Graph g) {
        int removed = 0;
        for (Node n : List.copyOf(g.nodes())) {
            boolean identity = n.opType().equals("Identity")
                    || n.opType().equals("Dropout") && !n.hasInput(2) && (n.outputs().size() < 2 || n.output(1).isEmpty());
            if (identity && GraphEdits.bypass(g, n)) removed++;
        }
        if (removed > 0) g.removeUnusedInitializers();
        return removed;
    }
}
