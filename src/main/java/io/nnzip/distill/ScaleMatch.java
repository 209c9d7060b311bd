package io.nnzip.distill;

/**
 * Student logits re-scaled, per sample, to the spread of the teacher's: u = (s − μ_s)/σ_s · σ_t + μ_t. Comparing
 * softmax(u/T) with the teacher's softmax(t/T) asks the student for the teacher's <em>shape</em> of logits (which
 * classes are close, which far) but not its magnitude; a small student whose bounded features (ReLU6, global
 * pooling) cannot reach a well-trained teacher's logit range in a short budget otherwise spends its updates growing
 * its scale (cf. logit standardization, Sun et al., CVPR 2024). The teacher's soft targets are untouched, so T keeps
 * its meaning. The hard-label term still sees the raw logits and sets the student's own scale.
 * <pre>student, teacher: (N,K) -> u: (N,K); backward: dL/du (N,K) -> dL/ds (N,K)</pre>
 */
final class ScaleMatch {
    private static final double EPS = 1e-6;
    final float[] u;
    private final double[] sHat, ratio;
    private final int n, k;

    ScaleMatch(float[] student, float[] teacher, int n, int k) {
        this.n = n;
        this.k = k;
        u = new float[n * k];
        sHat = new double[n * k];
        ratio = new double[n];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            double ms = mean(student, o, k), mt = mean(teacher, o, k);
            double ss = std(student, o, k, ms), st = std(teacher, o, k, mt);
            ratio[i] = st / ss;
            for (int j = 0; j < k; j++) {
                sHat[o + j] = (student[o + j] - ms) / ss;
                u[o + j] = (float) (sHat[o + j] * st + mt);
            }
        }
    }

    /** dL/ds from dL/du: σ_t/σ_s · (g − mean(g) − ŝ·mean(g·ŝ)), the z-score's Jacobian. */
    float[] backward(float[] gu) {
        float[] gs = new float[n * k];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            double mg = 0, mgs = 0;
            for (int j = 0; j < k; j++) {
                mg += gu[o + j];
                mgs += gu[o + j] * sHat[o + j];
            }
            mg /= k;
            mgs /= k;
            for (int j = 0; j < k; j++) gs[o + j] = (float) (ratio[i] * (gu[o + j] - mg - sHat[o + j] * mgs));
        }
        return gs;
    }

    private static double mean(float[] x, int o, int k) {
        double m = 0;
        for (int j = 0; j < k; j++) m += x[o + j];
        return m / k;
    }

    private static double std(float[] x, int o, int k, double m) {
        double v = 0;
        for (int j = 0; j < k; j++) v += (x[o + j] - m) * (x[o + j] - m);
        return Math.sqrt(v / k + EPS);
    }
}
