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

    @Override
    public String describe() { return (decoupled ? "adamw" : "adam") + "(betas=" + beta1 + "/" + beta2 + ", weight_decay=" + weightDecay + ")"; }
}
