package io.nnzip.bayes;

/**
 * The KL divergence of Bayesian compression with the group normal-Jeffreys prior (Louizos, Ullrich and Welling
 * 2017, eq. 10): every group (an output neuron or a filter) has a scale z with the log-uniform prior p(z) ∝ 1/|z|
 * and the weights given z have the prior N(0, z²). With the posterior q(z) = N(μ_z, α·μ_z²) and
 * q(w̃) = N(μ, σ²) for the weights divided by z, the KL splits into the sparse-VD KL of each group's log α
 * ({@link VdKl}, the same approximation, on z instead of on a weight) plus, per weight, the closed-form KL of
 * N(μ, σ²) from the standard normal: ½·(σ² + μ² − 1 − log σ²). The first term pays a group to become noise (its
 * neuron then carries nothing); the second holds the scaled weights near unit size, so shrinking a group cannot be
 * undone by growing its weights.
 */
public final class GroupKl {
    private GroupKl() {}

    /** KL of one weight's N(μ, σ²) from N(0, 1), σ² = exp(log σ²). */
    public static double weightKl(double mu, double logSigma2) { return 0.5 * (Math.exp(logSigma2) + mu * mu - 1 - logSigma2); }

    /**
     * Adds {@code scale}·∂/∂μ and {@code scale}·∂/∂log σ² of Σ {@link #weightKl} to {@code gMu} and {@code gLogSigma2}
     * (either may be null); returns the sum, unscaled.
     */
    public static double weightsSumAndGrad(float[] mu, float[] logSigma2, float[] gMu, float[] gLogSigma2, double scale) {
        double sum = 0;
        for (int i = 0; i < mu.length; i++) {
            double m = mu[i], ls = logSigma2[i], s2 = Math.exp(ls);
            sum += 0.5 * (s2 + m * m - 1 - ls);
            if (gMu != null) gMu[i] += (float) (scale * m);
            if (gLogSigma2 != null) gLogSigma2[i] += (float) (scale * 0.5 * (s2 - 1));
        }
        return sum;
    }

    /**
     * The variance of w = z·w̃ under the factorized posterior (z and w̃ independent): μ_z²·σ² + σ_z²·μ² + σ_z²·σ². It is
     * what decides how finely a kept weight must be stored.
     */
    public static double weightVariance(double zMu, double zLogVar, double mu, double logSigma2) {
        double zv = Math.exp(zLogVar), s2 = Math.exp(logSigma2);
        return zMu * zMu * s2 + zv * mu * mu + zv * s2;
    }

    /**
     * Significand bits a weight of posterior variance {@code var} needs (the rule of Louizos et al. 2017): the
     * number of precisions t = 1..23 whose unit round-off 2^−t still exceeds 2·var, so rounding to a grid of step
     * 2^−bits moves the weight by less than its own uncertainty.
     */
    public static int bits(double var) {
        int b = 0;
        for (int t = 1; t <= 23; t++) if (2 * var < Math.pow(2, -t)) b++;
        return b;
    }
}
