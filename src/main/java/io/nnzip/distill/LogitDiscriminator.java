package io.nnzip.distill;

import java.util.SplittableRandom;

/**
 * Adversarial distillation's discriminator (after Wang et al., "KDGAN", and Xu et al., "Training shallow and thin
 * networks ... via knowledge distillation with conditional adversarial networks"): a two-layer perceptron
 * D(p) = σ(w₂·LeakyReLU(W₁p + b₁) + b₂) on tempered softmax outputs p = softmax(z/T), trained with binary
 * cross-entropy to answer 1 for the teacher's outputs and 0 for the student's. The student's adversarial loss is
 * −mean log D(p_student): its gradient pushes the student's output distribution toward what D takes for the teacher's.
 * D has its own Adam state and takes one step per training batch, after the student's gradient was read.
 * <pre>p: (N,K) -> hidden (N,H) -> score (N)</pre>
 */
final class LogitDiscriminator {
    private static final float SLOPE = 0.2f, LR = 1e-3f, B1 = 0.9f, B2 = 0.999f, EPS = 1e-8f;
    final int k, h;
    final float[] w1, b1, w2, b2 = new float[1];
    private final float[][] params, m, v;
    private long steps;

    LogitDiscriminator(int k, int h, long seed) {
        this.k = k;
        this.h = h;
        SplittableRandom r = new SplittableRandom(seed);
        w1 = new float[h * k];
        b1 = new float[h];
        w2 = new float[h];
        double a1 = Math.sqrt(6.0 / k), a2 = Math.sqrt(6.0 / h);
        for (int i = 0; i < w1.length; i++) w1[i] = (float) ((2 * r.nextDouble() - 1) * a1);
        for (int i = 0; i < w2.length; i++) w2[i] = (float) ((2 * r.nextDouble() - 1) * a2);
        params = new float[][] {w1, b1, w2, b2};
        m = new float[4][];
        v = new float[4][];
        for (int i = 0; i < 4; i++) {
            m[i] = new float[params[i].length];
            v[i] = new float[params[i].length];
        }
    }

    /** Softmax of z/T per row: (N,K) -> (N,K). */
    static float[] soft(float[] z, int n, int k, float t) {
        float[] p = new float[z.length];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) max = Math.max(max, z[o + j] / t);
            for (int j = 0; j < k; j++) sum += p[o + j] = (float) Math.exp(z[o + j] / t - max);
            for (int j = 0; j < k; j++) p[o + j] /= (float) sum;
        }
        return p;
    }

    /** Pre-sigmoid scores of each row and the hidden activations (pre-activation in {@code pre}). */
    private float[] scores(float[] p, int n, float[] pre) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            double out = b2[0];
            for (int u = 0; u < h; u++) {
                double a = b1[u];
                for (int j = 0; j < k; j++) a += w1[u * k + j] * p[i * k + j];
                pre[i * h + u] = (float) a;
                out += w2[u] * (a > 0 ? a : SLOPE * a);
            }
            s[i] = (float) out;
        }
        return s;
    }

    /**
     * Loss −mean log σ(D(p)) for label 1 ({@code real}) or −mean log(1 − σ(D(p))) for label 0; returns the loss and
     * writes dLoss/dp into {@code dp} (if not null) and, when {@code dParams} is not null, accumulates dLoss/dθ.
     */
    float bce(float[] p, int n, boolean real, float[] dp, float[][] dParams) {
        float[] pre = new float[n * h];
        float[] s = scores(p, n, pre);
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double sig = 1 / (1 + Math.exp(-s[i]));
            // −log σ(s) = softplus(−s); −log(1 − σ(s)) = softplus(s)
            double x = real ? -s[i] : s[i];
            loss += (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) / n;
            float ds = (float) ((sig - (real ? 1 : 0)) / n);
            if (dParams != null) dParams[3][0] += ds;
            for (int u = 0; u < h; u++) {
                float a = pre[i * h + u];
                float act = a > 0 ? a : SLOPE * a;
                if (dParams != null) dParams[2][u] += ds * act;
                float da = ds * w2[u] * (a > 0 ? 1 : SLOPE);
                if (dParams != null) {
                    dParams[1][u] += da;
                    for (int j = 0; j < k; j++) dParams[0][u * k + j] += da * p[i * k + j];
                }
                if (dp != null) for (int j = 0; j < k; j++) dp[i * k + j] += da * w1[u * k + j];
            }
        }
        return (float) loss;
    }

    /** One Adam step on BCE(teacher → 1) + BCE(student → 0); returns that loss. */
    float train(float[] teacher, float[] student, int n) {
        float[][] g = new float[4][];
        for (int i = 0; i < 4; i++) g[i] = new float[params[i].length];
        float loss = bce(teacher, n, true, null, g) + bce(student, n, false, null, g);
        steps++;
        double c1 = 1 - Math.pow(B1, steps), c2 = 1 - Math.pow(B2, steps);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < params[i].length; j++) {
                m[i][j] = B1 * m[i][j] + (1 - B1) * g[i][j];
                v[i][j] = B2 * v[i][j] + (1 - B2) * g[i][j] * g[i][j];
                params[i][j] -= (float) (LR * (m[i][j] / c1) / (Math.sqrt(v[i][j] / c2) + EPS));
            }
        return loss;
    }

    /** Back through p = softmax(z/T): dz_ij = (1/T)·p_ij·(dp_ij − Σ_l p_il dp_il). */
    static float[] softBackward(float[] p, float[] dp, int n, int k, float t) {
        float[] dz = new float[p.length];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            double dot = 0;
            for (int j = 0; j < k; j++) dot += p[o + j] * dp[o + j];
            for (int j = 0; j < k; j++) dz[o + j] = (float) (p[o + j] * (dp[o + j] - dot) / t);
        }
        return dz;
    }
}
