package io.nnzip.bayes;

import io.nnzip.engine.Parallel;
import io.nnzip.train.Param;

/**
 * The Gaussian-mixture prior of soft weight-sharing: p(w) = Σ_j π_j N(w | μ_j, σ_j²) with component 0 pinned at
 * μ_0 = 0 and a fixed mixing weight π_0 (the pruning component), the other means, all log-variances and the other
 * components' mixing logits learned. Its parameters are three {@link Param}s the Trainer steps like any other; this
 * class evaluates −Σ log p(w_i) and adds its gradient with respect to the weights and to those parameters.
 * Why a mixture: −log p(w) is the code length of w under the prior, so minimising it pulls weights onto few values
 * (quantization) and most onto the zero component (pruning) in one objective.
 */
public final class MixturePrior {
    private static final double HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

    private final int k;
    private final float zeroMix;
    private final Param mu, logVar, logit;
    private final float minLogVar, maxZeroLogVar;

    /**
     * @param means     the initial means, {@code means[0]} must be 0 (the zero component)
     * @param logVars   the initial log-variances, one per component
     * @param zeroMix   π_0, fixed
     * @param minLogVar floor of every log-variance (a component collapsed to a point would make −log p unbounded);
     *                  the zero component's initial log-variance is its ceiling
     */
    public MixturePrior(String name, float[] means, float[] logVars, float zeroMix, float minLogVar) {
        if (means.length < 2 || means.length != logVars.length) throw new IllegalArgumentException("a mixture needs ≥ 2 components, one log-variance each");
        if (means[0] != 0f) throw new IllegalArgumentException("component 0 is the zero component");
        if (!(zeroMix > 0 && zeroMix < 1)) throw new IllegalArgumentException("zero mixing weight must be in (0, 1)");
        this.k = means.length;
        this.zeroMix = zeroMix;
        this.minLogVar = minLogVar;
        this.maxZeroLogVar = logVars[0];
        this.mu = new Param(name + ".mixture_means", means.clone(), false);
        this.logVar = new Param(name + ".mixture_log_variances", logVars.clone(), false);
        this.logit = new Param(name + ".mixture_logits", new float[k], false);
    }

    /** A prior over weights spread in [−range, range]: {@code components − 1} means evenly spaced there (0 excluded), every σ half the spacing. */
    public static MixturePrior spread(String name, int components, float range, float zeroMix) {
        float[] m = new float[components], lv = new float[components];
        int side = components - 1, neg = side / 2, pos = side - neg;
        for (int t = 1; t <= neg; t++) m[t] = -range * t / neg;
        for (int t = 1; t <= pos; t++) m[neg + t] = range * t / pos;
        float spacing = range / Math.max(1, Math.max(neg, pos));
        // half the spacing: neighbouring components overlap little, so responsibilities (and the snap) are nearly nearest-mean
        java.util.Arrays.fill(lv, (float) Math.log(0.25 * spacing * spacing));
        float floor = (float) Math.log(1e-6 * range * range);
        return new MixturePrior(name, m, lv, zeroMix, floor);
    }

    public int components() { return k; }

    public Param means() { return mu; }

    public Param logVariances() { return logVar; }

    public Param logits() { return logit; }

    public float zeroMix() { return zeroMix; }

    /** log π_j for the current logits (π_0 fixed, the rest share 1 − π_0 by softmax). */
    double[] logPi() {
        float[] l = logit.value();
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 1; j < k; j++) max = Math.max(max, l[j]);
        double s = 0;
        for (int j = 1; j < k; j++) s += Math.exp(l[j] - max);
        double lse = max + Math.log(s);
        double[] out = new double[k];
        out[0] = Math.log(zeroMix);
        for (int j = 1; j < k; j++) out[j] = Math.log1p(-zeroMix) + l[j] - lse;
        return out;
    }

    /**
     * Adds {@code scale}·∂(−Σ log p(w_i))/∂w to {@code gw} (null: not needed) and the same scaled gradient of the
     * mixture parameters to their grads; returns {@code scale}·(−Σ log p(w_i)).
     */
    public double lossAndGrad(float[] w, float[] gw, float scale, Parallel par) {
        double[] lp = logPi();
        float[] m = mu.value(), lv = logVar.value();
        double[] prec = new double[k], base = new double[k];
        for (int j = 0; j < k; j++) {
            prec[j] = Math.exp(-lv[j]);
            base[j] = lp[j] - HALF_LOG_2PI - 0.5 * lv[j];
        }
        int chunks = par == null ? 1 : Math.max(1, Math.min(par.threads(), w.length / 4096));
        int size = (w.length + chunks - 1) / chunks;
        // per chunk: loss, Σ r_j (w − μ_j), Σ r_j (w − μ_j)², Σ r_j
        double[][] acc = new double[chunks][1 + 3 * k];
        Parallel.Range body = (lo, hi) -> {
            double[] a = new double[k];
            for (int c = lo; c < hi; c++) {
                double[] s = acc[c];
                int end = Math.min(w.length, (c + 1) * size);
                for (int i = c * size; i < end; i++) {
                    double wi = w[i], max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        double d = wi - m[j];
                        a[j] = base[j] - 0.5 * d * d * prec[j];
                        if (a[j] > max) max = a[j];
                    }
                    double z = 0;
                    for (int j = 0; j < k; j++) z += a[j] = Math.exp(a[j] - max);
                    s[0] -= max + Math.log(z);
                    double g = 0;
                    for (int j = 0; j < k; j++) {
                        double r = a[j] / z, d = wi - m[j];
                        if (r < 1e-12) continue;
                        g += r * d * prec[j];
                        s[1 + j] += r * d;
                        s[1 + k + j] += r * d * d;
                        s[1 + 2 * k + j] += r;
                    }
                    if (gw != null) gw[i] += (float) (scale * g);
                }
            }
        };
        if (par == null || chunks == 1) body.run(0, chunks);
        else par.forRange(chunks, 1, body);
        double[] tot = new double[1 + 3 * k];
        for (double[] s : acc) for (int t = 0; t < tot.length; t++) tot[t] += s[t];
        float[] gm = mu.grad(), gl = logVar.grad(), gp = logit.grad();
        double rest = 0;
        for (int j = 1; j < k; j++) rest += tot[1 + 2 * k + j];
        double[] q = new double[k];
        double qs = 0;
        for (int j = 1; j < k; j++) qs += q[j] = Math.exp(lp[j]) / (1 - zeroMix);
        for (int j = 0; j < k; j++) {
            if (j > 0) {
                gm[j] += (float) (-scale * tot[1 + j] * prec[j]);
                gp[j] += (float) (-scale * (tot[1 + 2 * k + j] - q[j] / qs * rest));
            }
            gl[j] += (float) (scale * 0.5 * (tot[1 + 2 * k + j] - tot[1 + k + j] * prec[j]));
        }
        return scale * tot[0];
    }

    /** Keeps the pinned values pinned and the variances above their floor (after an optimizer step). */
    public void project() {
        mu.value()[0] = 0f;
        logit.value()[0] = 0f;
        float[] lv = logVar.value();
        for (int j = 0; j < k; j++) lv[j] = Math.max(lv[j], minLogVar);
        // the zero component may narrow but not widen: widened, it would swallow every weight the data does not defend
        lv[0] = Math.min(lv[0], maxZeroLogVar);
    }

    /** The most responsible component of {@code w}: the weight's index into the shared values. */
    public int component(float w, double[] logPi) {
        float[] m = mu.value(), lv = logVar.value();
        int best = 0;
        double bestA = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            double d = w - m[j];
            double a = logPi[j] - 0.5 * lv[j] - 0.5 * d * d * Math.exp(-lv[j]);
            if (a > bestA) {
                bestA = a;
                best = j;
            }
        }
        return best;
    }

    /** Replaces every weight by its most responsible component's mean (0 for the zero component); returns how many are nonzero. */
    public int snap(float[] w) {
        double[] lp = logPi();
        float[] m = mu.value();
        int nonzero = 0;
        for (int i = 0; i < w.length; i++) {
            int j = component(w[i], lp);
            w[i] = j == 0 ? 0f : m[j];
            if (w[i] != 0f) nonzero++;
        }
        return nonzero;
    }
}
