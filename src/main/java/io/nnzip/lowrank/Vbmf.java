package io.nnzip.lowrank;

/**
 * Rank estimate by empirical variational Bayesian matrix factorization (Nakajima, Sugiyama, Babacan and Tomioka,
 * "Global analytic solution of fully-observed variational Bayesian matrix factorization", JMLR 2013): with the
 * noise variance σ² itself estimated, VB keeps exactly the singular values above √(M·σ²·x̄), where
 * x̄ = (1+τ̄)(1+α/τ̄), α = L/M (L ≤ M) and τ̄ ≈ 2.5129·√α. σ² minimizes the free energy, a one-dimensional
 * function searched here by golden section between the paper's bounds. Kim et al. (ICLR 2016) use this to pick
 * Tucker-2 ranks of convolution kernels.
 */
public final class Vbmf {
    private Vbmf() {}

    /**
     * @param s singular values, descending (all min(rows, cols) of them)
     * @param total ‖Y‖², so that a truncated spectrum's residual is accounted for
     */
    public static int rank(double[] s, int rows, int cols, double total) {
        int l = Math.min(rows, cols), m = Math.max(rows, cols);
        int h = Math.min(s.length, l);
        double alpha = (double) l / m;
        double tauBar = 2.5129 * Math.sqrt(alpha);
        double xBar = (1 + tauBar) * (1 + alpha / tauBar);
        double sum2 = 0;
        for (int i = 0; i < h; i++) sum2 += s[i] * s[i];
        double residual = Math.max(0, total - sum2);
        int ehUpper = Math.min((int) Math.ceil(l / (1 + alpha)) - 1, h) - 1;
        int from = Math.max(0, Math.min(ehUpper + 1, h - 1));
        double tailMean = 0;
        for (int i = from; i < h; i++) tailMean += s[i] * s[i];
        tailMean /= Math.max(1, h - from);
        double upper = (sum2 + residual) / ((double) l * m);
        double lower = Math.max(s[from] * s[from] / (m * xBar), tailMean / m);
        if (!(lower > 0) || lower >= upper) lower = upper * 1e-6;
        double sigma2 = goldenMin(v -> freeEnergy(v, s, h, l, m, residual, alpha, xBar), lower, upper);
        double threshold = Math.sqrt(m * sigma2 * xBar);
        int rank = 0;
        for (int i = 0; i < h; i++) if (s[i] > threshold) rank++;
        return Math.max(1, rank);
    }

    /** VB free energy as a function of σ², up to terms that do not depend on it. */
    static double freeEnergy(double sigma2, double[] s, int h, int l, int m, double residual, double alpha, double xBar) {
        double f = 0;
        for (int i = 0; i < h; i++) {
            double x = s[i] * s[i] / (m * sigma2);
            if (x <= xBar) {
                f += x - Math.log(x);
            } else {
                double t = tau(x, alpha);
                f += x - t + Math.log((t + 1) / x) + alpha * Math.log(t / alpha + 1);
            }
        }
        return f + residual / (m * sigma2) + (l - h) * Math.log(sigma2);
    }

    /** The VB shrinkage ratio τ(x) for a squared singular value x above the threshold. */
    static double tau(double x, double alpha) {
        double b = x - (1 + alpha);
        return 0.5 * (b + Math.sqrt(Math.max(0, b * b - 4 * alpha)));
    }

    static double goldenMin(java.util.function.DoubleUnaryOperator f, double lo, double hi) {
        double g = (Math.sqrt(5) - 1) / 2;
        double a = lo, b = hi, c = b - g * (b - a), d = a + g * (b - a);
        double fc = f.applyAsDouble(c), fd = f.applyAsDouble(d);
        for (int it = 0; it < 200 && (b - a) > 1e-12 * Math.abs(b); it++) {
            if (fc < fd) {
                b = d; d = c; fd = fc;
                c = b - g * (b - a);
                fc = f.applyAsDouble(c);
            } else {
                a = c; c = d; fc = fd;
                d = a + g * (b - a);
                fd = f.applyAsDouble(d);
            }
        }
        return (a + b) / 2;
    }
}
