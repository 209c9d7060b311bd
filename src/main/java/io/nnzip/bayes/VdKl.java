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

    /** Weights per chunk of {@link #sumAndGrad}: fixed, so the partial sums add up in the same order on any team. */
    static final int CHUNK = 1 << 14;

    /**
     * Adds {@code scale}·∂ΣKL/∂θ to {@code gTheta} and {@code scale}·∂ΣKL/∂log σ² to {@code gLogSigma2} (either may be
     * null); returns ΣKL over the weights, unscaled. Runs once per training step over every noisy weight, so each
     * weight costs one log and two exps (1/α = (θ² + ε)·e^(−log σ²) gives both ½·log(1 + 1/α) and sigmoid(−log α))
     * and the chunks run on the shared thread team; the sum is added in chunk order, independent of the team's size.
     */
    public static double sumAndGrad(float[] theta, float[] logSigma2, float[] gTheta, float[] gLogSigma2, double scale) {
        int n = theta.length, chunks = (n + CHUNK - 1) / CHUNK;
        if (chunks <= 1) return sumAndGrad(theta, logSigma2, gTheta, gLogSigma2, scale, 0, n);
        double[] parts = new double[chunks];
        io.nnzip.engine.Parallel.common().forChunks(chunks, chunks, (c0, c1) -> {
            for (int c = c0; c < c1; c++) parts[c] = sumAndGrad(theta, logSigma2, gTheta, gLogSigma2, scale, c * CHUNK, Math.min(n, (c + 1) * CHUNK));
        });
        double sum = 0;
        for (double p : parts) sum += p;
        return sum;
    }

    private static double sumAndGrad(float[] theta, float[] logSigma2, float[] gTheta, float[] gLogSigma2, double scale, int lo, int hi) {
        double sum = 0;
        for (int i = lo; i < hi; i++) {
            double t = theta[i], t2 = t * t + EPS, ls = logSigma2[i];
            double la = ls - Math.log(t2);
            // 1/α = (θ² + ε)/σ²; for log α < −30 the softplus is −log α to double precision and 1/α may overflow
            double invAlpha = la < -30 ? Double.POSITIVE_INFINITY : t2 * Math.exp(-ls);
            double softplusNeg = la < -30 ? -la : Math.log1p(invAlpha);
            double sigNeg = la < -30 ? 1.0 : invAlpha / (1 + invAlpha);
            double s = sigmoid(K2 + K3 * la);
            sum += K1 - K1 * s + 0.5 * softplusNeg;
            double d = scale * (-K1 * K3 * s * (1 - s) - 0.5 * sigNeg);
            if (gLogSigma2 != null) gLogSigma2[i] += (float) d;
            // ∂ log α / ∂θ = −2θ / (θ² + ε)
            if (gTheta != null) gTheta[i] += (float) (d * -2 * t / t2);
        }
        return sum;
    }

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

    /** log(1 + eˣ), without overflow. */
    static double softplus(double x) { return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)); }
}
