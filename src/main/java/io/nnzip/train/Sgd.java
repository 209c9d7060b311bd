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
        // the parameters are model weights written in place: the engine's cached weight forms must look again
        io.nnzip.ir.WeightWrites.bump();
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

    /** Each parameter's velocity (zeros before its first step, and always without momentum). */
    @Override
    public float[] state(List<Param> params) {
        float[] out = new float[params.stream().mapToInt(Param::size).sum()];
        int o = 0;
        for (Param p : params) {
            float[] v = velocity.get(p);
            if (v != null) System.arraycopy(v, 0, out, o, p.size());
            o += p.size();
        }
        return out;
    }

    @Override
    public void restore(List<Param> params, float[] state) {
        int n = params.stream().mapToInt(Param::size).sum();
        if (state.length != n) throw new IllegalArgumentException("SGD state has " + state.length + " values, the parameters need " + n);
        velocity.clear();
        int o = 0;
        for (Param p : params) {
            velocity.put(p, java.util.Arrays.copyOfRange(state, o, o + p.size()));
            o += p.size();
        }
    }

    @Override
    public String describe() { return "sgd(momentum=" + momentum + (nesterov ? ", nesterov" : "") + ", weight_decay=" + weightDecay + ")"; }
}
