package io.nnzip.eval.conformance;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Map;

/**
 * Cases whose expected outputs come from another implementation's random generator cannot be reproduced: a
 * Dropout in training mode with a non-zero ratio draws its mask from numpy's RNG.
 */
final class RandomOps {
    private RandomOps() {}

    /** A reason string when the case's outputs depend on random draws, else null. */
    static String nondeterministic(Graph g, Map<String, Tensor> feeds) {
        for (Node n : g.nodes()) {
            if (!n.opType().equals("Dropout") || !n.hasInput(2)) continue;
            Tensor mode = value(g, feeds, n.input(2));
            Tensor ratio = n.hasInput(1) ? value(g, feeds, n.input(1)) : null;
            boolean training = mode == null || mode.getLong(0) != 0;
            boolean zero = ratio != null && ratio.getDouble(0) == 0;
            if (training && !zero) return "Dropout training_mode=1 (random mask)";
        }
        return null;
    }

    private static Tensor value(Graph g, Map<String, Tensor> feeds, String name) {
        Tensor t = feeds.get(name);
        return t != null ? t : g.initializer(name);
    }
}
