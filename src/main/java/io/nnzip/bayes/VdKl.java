package io.nnzip.bayes;

/**
 * The KL divergence of sparse variational dropout (Molchanov, Ashukha and Vetrov 2017, eq. 14): between the
 * posterior N(θ, σ²) and the log-uniform prior of one weight, as a function of log α = log σ² − log θ² alone,
 * approximated by KL ≈ k₁ − k₁·sigmoid(k₂ + k₃·log α) + ½·log(1 + 1/α). It falls as α grows: the objective is
 * paid to make weights noisy, and a weight whose noise dwarfs its value (large α) carries no information.
 */
public final class VdKl {
    static final double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695;
    /** Added to θ² inside log θ², so a weight at exactly 0 has a finite log α. */
    static final double EPS = 1e-8;

    private VdKl() {}

    /** log α of a weight θ with log-variance {@code logSigma2}. */
    public static double logAlpha(double theta, double logSigma2) { return logSigma2 - Math.log(theta * theta + EPS); }

    /** KL(log α). */
    public static double kl(double logAlpha) {
        return K1 - K1 * sigmoid(K2 + K3 * logAlpha) + 0.5 * softplus(-logAlpha);
    }

    /** dKL / d log α. */
    public static double dKl(double logAlpha) {
        double s = sigmoid(K2 + K3 * logAlpha);
        return -K1 * K3 * s * (1 - s) - 0.5 * sigmoid(-logAlpha);
    }

    /**
     * Adds {@code scale}·∂ΣKL/∂θ to {@code gTheta} and {@code scale}·∂ΣKL/∂log σ² to {@code gLogSigma2} (either may be
     * null); returns ΣKL over the weights, unscaled.
     */
    public static double sumAndGrad(float[] theta, float[] logSigma2, float[] gTheta, float[] gLogSigma2, double scale) {
        double sum = 0;
        for (int i = 0; i < theta.length; i++) {
            double t = theta[i], la = logSigma2[i] - Math.log(t * t + EPS);
            sum += kl(la);
            double d = scale * dKl(la);
            if (gLogSigma2 != null) gLogSigma2[i] += (float) d;
            // ∂ log α / ∂θ = −2θ / (θ² + ε)
            if (gTheta != null) gTheta[i] += (float) (d * -2 * t / (t * t + EPS));
        }
        return sum;
    }

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

    /** log(1 + eˣ), without overflow. */
    static double softplus(double x) { return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)); }
}
