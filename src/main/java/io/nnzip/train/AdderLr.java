package io.nnzip.train;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Node;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * AdderNet's adaptive learning rate (Chen et al., CVPR 2020, eq. 13): the gradient of each adder layer's filter F_l
 * is rescaled to η·√k·ΔL(F_l)/‖ΔL(F_l)‖₂, k the number of elements of F_l, so every adder layer moves by the same
 * norm per step whatever the magnitude of its full-precision gradient (which is much smaller than a convolution's and
 * varies from layer to layer). The step size is then the optimizer's learning rate times η√k; the paper uses it with
 * SGD (an adaptive optimizer's own per-weight scaling mostly cancels a per-layer factor).
 */
public final class AdderLr implements StepHook {
    private final Set<String> filters = new LinkedHashSet<>();
    private final float eta;

    /** @param eta the paper's η (0.1 in its experiments) */
    public AdderLr(Graph g, float eta) {
        if (!(eta > 0)) throw new io.nnzip.ir.NnzipException("the adder learning-rate scale η must be > 0, got " + eta);
        this.eta = eta;
        for (Node n : g.nodes()) if (n.opType().equals(io.nnzip.engine.ops.AdderOps.OP) && g.isInitializer(n.input(1))) filters.add(n.input(1));
    }

    /** The filters this hook rescales (initializer names). */
    public Set<String> filters() { return filters; }

    @Override
    public float afterBackward(Trainer trainer) {
        for (Param p : trainer.params()) {
            if (!filters.contains(p.name())) continue;
            float[] g = p.grad();
            double ss = 0;
            for (float v : g) ss += (double) v * v;
            if (ss == 0) continue;
            float s = (float) (eta * Math.sqrt(g.length) / Math.sqrt(ss));
            for (int i = 0; i < g.length; i++) g[i] *= s;
        }
        return 0f;
    }
}
