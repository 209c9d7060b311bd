package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.EqualSteps;
import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.binarize.ZigzagRiceBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;
import io.nnzip.ir.Tensor;
import io.nnzip.train.Param;
import io.nnzip.train.StepHook;
import io.nnzip.train.Trainer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Rate-aware training: λ·(estimated bits the .nnz coder spends on the weights) added to the loss. Each weight tensor
 * the encoder quantizes (float, rank ≥ 2, ≥ {@link CodecOptions#MIN_QUANTIZED} elements) is priced as it would be
 * coded by default at QP {@code qp}: equal steps ({@link EqualSteps}: each tensor's own QP q_t, chosen at every refit
 * so that all steps are about σ_all·2^(qp/4)), step Δ = σ(w)·2^(q_t/4) with one step per tensor, level
 * |q| = ⌊|w|/Δ + θ⌋.
 * <p>The bits of a level come from the coder itself: every {@code refresh} steps the current levels are run through
 * the binarization the encoder would choose ({@link BinarizationChooser}, the dead zone θ of {@link RoundingChooser})
 * under an adaptive {@link BitCostEstimator}, and c(k) is the mean cost of the weights at magnitude k there (levels
 * the tensor does not hold are priced under the contexts it leaves, frozen). Between refreshes c stays fixed and the
 * step function c(⌊|w|/Δ + θ⌋) is replaced by its piecewise-linear interpolation through (0, c(0)) and
 * (k + ½ − θ, c(k)), the centre of level k's interval, so it has a gradient. Δ, too, is held between refreshes. The
 * encoder's Δ follows σ(w), so the exact surrogate is scale-invariant and its gradient has a term ∂Δ/∂w that
 * pushes every weight outward by O(1/n); tried first, it made the coded size grow: Adam normalizes each weight's
 * step, so for the weights the data does not move that tiny term became a full-size step outward and spread the
 * distribution. With Δ held, the penalty pulls the weights the data does not need toward the cheap zero level, and
 * the next refit's smaller σ re-prices them.
 * <p>Codebook-coded tensors (k-means) are not modelled: the estimate is of uniform quantization at {@code qp}.
 */
public final class RatePenalty implements StepHook {
    /** Refresh interval used when none is given: often enough that the zero level's price follows the sparsity. */
    public static final int DEFAULT_REFRESH = 25;

    private final double lambda;
    private final int qp;
    private final int refresh;
    private final Map<String, Curve> curves = new HashMap<>();
    private long fitted = -1;
    private Map<String, Integer> qps;
    private double lastBits;

    /**
     * @param lambda  loss units per estimated bit
     * @param qp      the QP the model will be coded at (the recipes' default {@link CodecOptions#DEFAULT_QP})
     * @param refresh steps between refits of the cost curves to the coder's statistics
     */
    public RatePenalty(double lambda, int qp, int refresh) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) throw new io.nnzip.ir.NnzipException("rate penalty must be a number >= 0, got " + lambda);
        if (refresh < 1) throw new io.nnzip.ir.NnzipException("rate penalty refresh must be >= 1 step, got " + refresh);
        this.lambda = lambda;
        this.qp = qp;
        this.refresh = refresh;
    }

    public RatePenalty(double lambda) { this(lambda, CodecOptions.DEFAULT_QP, DEFAULT_REFRESH); }

    /** The estimated bits of all priced tensors at the last step. */
    public double lastBits() { return lastBits; }

    /** Settings for provenance. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lambda", lambda);
        m.put("qp", qp);
        m.put("equal_steps", true);
        m.put("refresh_steps", refresh);
        return m;
    }

    /** Whether the encoder quantizes this tensor (and so the penalty prices it). */
    public static boolean priced(Tensor t) {
        return t != null && t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
    }

    @Override
    public float afterBackward(Trainer trainer) {
        if (lambda == 0) return 0f;
        long step = trainer.steps();
        boolean refit = fitted < 0 || step - fitted >= refresh;
        double total = 0;
        for (Param p : trainer.params()) {
            Tensor t = trainer.model().graph().initializer(p.name());
            if (!priced(t)) continue;
            float[] w = p.value();
            Curve c = curves.get(p.name());
            if (refit || c == null) {
                if (qps == null || refit) qps = EqualSteps.qps(trainer.model(), qp);
                c = Curve.fit(w, qps.getOrDefault(p.name(), qp));
                curves.put(p.name(), c);
            }
            total += c.bitsAndGrad(w, p.grad(), lambda);
        }
        if (refit) fitted = step;
        lastBits = total;
        return (float) (lambda * total);
    }

    /**
     * A tensor's fitted code length per level magnitude: {@code bits[k]} for |q| = k at knots {@code knot[k]} (in
     * units of Δ), beyond the last knot extended with the last segment's slope.
     */
    public record Curve(double[] knot, double[] bits, double step) {
        /** Fits the curve to the coder's cost of {@code w}'s current levels at QP {@code qp} (Δ = σ(w)·2^(qp/4)). */
        public static Curve fit(float[] w, int qp) {
            long[] dims = {w.length};
            float[] steps = UniformQuantizer.steps(w, null, dims, -1, qp);
            double theta = RoundingChooser.choose(w, null, steps, dims, -1, null);
            int[] q = new int[w.length];
            UniformQuantizer.quantize(w, null, steps, dims, -1, theta, q);
            BinarizationChooser.Choice ch = BinarizationChooser.chooseLevelCoding(q, null, false);
            int max = 0;
            for (int v : q) max = Math.max(max, Math.abs(v));
            int top = 2 * max + 4;
            double[] sum = new double[top + 1];
            long[] cnt = new long[top + 1];
            boolean zigzag = ch.scheme() == TensorUnit.SCHEME_ZIGZAG;
            int[] ctx = zigzag ? ZigzagRiceBinarization.contexts() : RiceLevelBinarization.contexts();
            BitCostEstimator est = new BitCostEstimator();
            int a = 0, b = 0, cls = 0;
            for (int i = 0; i < q.length; i++) {
                double before = est.bits();
                if (zigzag) cls = ZigzagRiceBinarization.level(est, ctx, q[i], cls, ch.k());
                else RiceLevelBinarization.level(est, ctx, q[i], a, b, -1, 0, ch.k(), 0);
                int m = Math.abs(q[i]);
                sum[m] += est.bits() - before;
                cnt[m]++;
                b = a;
                a = m;
            }
            BitCostEstimator frozen = new BitCostEstimator(false);
            double[] bits = new double[top + 1], knot = new double[top + 1];
            for (int k = 0; k <= top; k++) {
                if (cnt[k] > 0) bits[k] = sum[k] / cnt[k];
                else {
                    frozen.reset();
                    if (zigzag) ZigzagRiceBinarization.level(frozen, ctx, k, 0, ch.k());
                    else RiceLevelBinarization.level(frozen, ctx, k, 0, 0, -1, 0, ch.k(), 0);
                    bits[k] = frozen.bits();
                }
                knot[k] = k == 0 ? 0 : k + 0.5 - theta;
            }
            // Rare magnitudes are few samples: make the price non-decreasing from level 1 on by pooling adjacent
            // violators weighted by their counts, which keeps Σ count·bits (the tensor's total) unchanged. Levels the
            // tensor does not hold get a token weight, so their frozen prices only fill gaps.
            double[] wt = new double[top + 1];
            for (int k = 0; k <= top; k++) wt[k] = cnt[k] > 0 ? cnt[k] : 1e-6;
            isotonic(bits, wt, 1);
            return new Curve(knot, bits, steps[0]);
        }

        // Pool-adjacent-violators from index `from`: the weighted least-squares non-decreasing fit, in place.
        private static void isotonic(double[] y, double[] w, int from) {
            int n = y.length - from;
            double[] val = new double[n], wsum = new double[n];
            int[] len = new int[n];
            int blocks = 0;
            for (int i = from; i < y.length; i++) {
                val[blocks] = y[i];
                wsum[blocks] = w[i];
                len[blocks] = 1;
                blocks++;
                while (blocks > 1 && val[blocks - 2] > val[blocks - 1]) {
                    double tw = wsum[blocks - 2] + wsum[blocks - 1];
                    val[blocks - 2] = (val[blocks - 2] * wsum[blocks - 2] + val[blocks - 1] * wsum[blocks - 1]) / tw;
                    wsum[blocks - 2] = tw;
                    len[blocks - 2] += len[blocks - 1];
                    blocks--;
                }
            }
            for (int b = 0, i = from; b < blocks; b++) for (int j = 0; j < len[b]; j++) y[i++] = val[b];
        }

        /** The interpolated bits at x = |w|/Δ ≥ 0. */
        public double value(double x) {
            int s = segment(x);
            return bits[s] + (x - knot[s]) * slopeOf(s);
        }

        /** d value / dx at x ≥ 0 (the right-hand slope at a knot). */
        public double slope(double x) { return slopeOf(segment(x)); }

        private double slopeOf(int s) { return (bits[s + 1] - bits[s]) / (knot[s + 1] - knot[s]); }

        private int segment(double x) {
            int lo = 0, hi = knot.length - 2;
            if (x >= knot[hi]) return hi;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (knot[mid] <= x) lo = mid;
                else hi = mid - 1;
            }
            return lo;
        }

        /** Σ value(|w_i|/Δ), Δ the step of the fit. */
        public double bits(double[] w) {
            double total = 0;
            for (double v : w) total += value(Math.abs(v) / step);
            return total;
        }

        /** Adds λ·∂/∂w of Σ value(|w_i|/Δ) = λ·value'(x_i)·sign(w_i)/Δ to {@code grad} and returns the sum. */
        public double bitsAndGrad(float[] w, float[] grad, double lambda) {
            double total = 0, inv = 1 / step;
            for (int i = 0; i < w.length; i++) {
                double x = Math.abs(w[i]) * inv;
                int seg = segment(x);
                double sl = slopeOf(seg);
                total += bits[seg] + (x - knot[seg]) * sl;
                grad[i] += (float) (lambda * sl * Math.signum(w[i]) * inv);
            }
            return total;
        }

        /** As {@link #bitsAndGrad(float[], float[], double)} in double, gradient of the bits alone written to {@code grad}. */
        public double bitsAndGrad(double[] w, double[] grad) {
            double total = 0, inv = 1 / step;
            for (int i = 0; i < w.length; i++) {
                double x = Math.abs(w[i]) * inv;
                int seg = segment(x);
                total += bits[seg] + (x - knot[seg]) * slopeOf(seg);
                grad[i] = slopeOf(seg) * Math.signum(w[i]) * inv;
            }
            return total;
        }
    }
}
