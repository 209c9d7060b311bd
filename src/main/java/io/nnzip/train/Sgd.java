package io.nnzip.train;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with optional (Nesterov) momentum and L2 weight decay folded into the gradient (PyTorch's convention):
 * g' = g + wd·w; v = μ·v + g'; w -= lr·(nesterov ? g' + μ·v : v).
 */
public final class Sgd implements Optimizer {
    private final float momentum, weightDecay;
    private final boolean nesterov;
    private final Map<Param, float[]> velocity = new java.util.IdentityHashMap<>();

    public Sgd(float momentum, boolean nesterov, float weightDecay) {
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(List<Param> params, float lr) {
        for (Param p : params) {
            float[] w = p.value(), g = p.grad();
            float wd = p.decay() ? weightDecay : 0f;
            if (momentum == 0f) {
                for (int i = 0; i < w.length; i++) w[i] -= lr * (g[i] + wd * w[i]);
                continue;
            }
            float[] v = velocity.computeIfAbsent(p, k -> new float[w.length]);
            for (int i = 0; i < w.length; i++) {
                float gi = g[i] + wd * w[i];
                v[i] = momentum * v[i] + gi;
                w[i] -= lr * (nesterov ? gi + momentum * v[i] : v[i]);
            }
        }
    }

    @Override
    public String describe() { return "sgd(momentum=" + momentum + (nesterov ? ", nesterov" : "") + ", weight_decay=" + weightDecay + ")"; }
}
