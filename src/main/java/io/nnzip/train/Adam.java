package io.nnzip.train;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with bias correction. Weight decay is either L2 added to the gradient (Adam) or decoupled and applied
 * to the weights directly, w -= lr·wd·w (AdamW, Loshchilov &amp; Hutter).
 */
public final class Adam implements Optimizer {
    private final float beta1, beta2, eps, weightDecay;
    private final boolean decoupled;
    private final Map<Param, float[][]> moments = new java.util.IdentityHashMap<>();
    private int t;

    public Adam(float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    public void step(List<Param> params, float lr) {
        t++;
        // the parameters are model weights written in place: the engine's cached weight forms must look again
        io.nnzip.ir.WeightWrites.bump();
        float c1 = 1f / (1f - (float) Math.pow(beta1, t)), c2 = 1f / (1f - (float) Math.pow(beta2, t));
        for (Param p : params) {
            float[] w = p.value(), g = p.grad();
            float[][] mv = moments.computeIfAbsent(p, k -> new float[][] {new float[w.length], new float[w.length]});
            float[] m = mv[0], v = mv[1];
            float wd = p.decay() ? weightDecay : 0f;
            for (int i = 0; i < w.length; i++) {
                float gi = decoupled ? g[i] : g[i] + wd * w[i];
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                float upd = (m[i] * c1) / ((float) Math.sqrt(v[i] * c2) + eps);
                if (decoupled) w[i] -= lr * wd * w[i];
                w[i] -= lr * upd;
            }
        }
    }

    /** The step count (its float bits), then each parameter's first and second moments (zeros before its first step). */
    @Override
    public float[] state(List<Param> params) {
        int n = params.stream().mapToInt(Param::size).sum();
        float[] out = new float[1 + 2 * n];
        out[0] = Float.intBitsToFloat(t);
        int o = 1;
        for (Param p : params) {
            float[][] mv = moments.get(p);
            if (mv != null) {
                System.arraycopy(mv[0], 0, out, o, p.size());
                System.arraycopy(mv[1], 0, out, o + p.size(), p.size());
            }
            o += 2 * p.size();
        }
        return out;
    }

    @Override
    public void restore(List<Param> params, float[] state) {
        int n = params.stream().mapToInt(Param::size).sum();
        if (state.length != 1 + 2 * n) throw new IllegalArgumentException("Adam state has " + state.length + " values, the parameters need " + (1 + 2 * n));
        t = Float.floatToRawIntBits(state[0]);
        moments.clear();
        int o = 1;
        for (Param p : params) {
            float[][] mv = {java.util.Arrays.copyOfRange(state, o, o + p.size()), java.util.Arrays.copyOfRange(state, o + p.size(), o + 2 * p.size())};
            moments.put(p, mv);
            o += 2 * p.size();
        }
    }

    @Override
    public String describe() { return (decoupled ? "adamw" : "adam") + "(betas=" + beta1 + "/" + beta2 + ", weight_decay=" + weightDecay + ")"; }
}
