package io.nnzip.prune;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.prune.dep.PrunePlan;
import io.nnzip.prune.dep.TensorSlicing;
import java.util.Map;

/**
 * The unpruned twin of a structured plan: the original model with every weight slice the plan removes set to
 * zero. A correct plan gives a pruned model whose outputs equal this one's, which is how pruning is verified.
 */
public final class Masking {
    private Masking() {}

    public static Model mask(Model original, PrunePlan plan) {
        Model m = original.copy();
        io.nnzip.prune.dep.PruneForm.apply(m); // the plan names weights of the pruning form
        for (Map.Entry<String, int[]> e : plan.removedTensors.entrySet()) {
            int at = e.getKey().lastIndexOf('@');
            String name = e.getKey().substring(0, at);
            int axis = Integer.parseInt(e.getKey().substring(at + 1));
            Tensor t = m.graph().initializer(name);
            m.graph().initializers().put(name, TensorSlicing.zero(t, axis, e.getValue()));
        }
        return m;
    }
}
