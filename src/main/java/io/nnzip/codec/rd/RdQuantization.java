package io.nnzip.codec.rd;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.TensorCodec;
import io.nnzip.codec.TensorUnit;
import io.nnzip.codec.UniformQuantizer;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.cabac.BitCostEstimator;

/**
 * The level decisions of a quantized tensor (UNIFORM or DOM_UNIFORM unit): a fixed rounding offset when the options
 * give one; the RD-chosen dead zone alone for {@link CodecOptions#QUANT_THETA}; otherwise rate–distortion optimized. Candidates are rounding to nearest, the dead zone θ of
 * {@link RoundingChooser}, the scalar RDOQ levels of {@link TrellisQuantizer} and (when allowed) the dependent
 * (trellis-coded) levels; each is coded with the real coder and the one of least
 * J = Σ (w − ŵ)²/Δ² + λ · bits wins, with Δ the QP's scalar step. λ = {@link #LAMBDA} in these units, so the price of
 * a bit in absolute terms is λ·Δ² = λ·σ²·2^(QP/2): tied to the QP. Since rounding to nearest is among the
 * candidates, the result never costs more than it in J.
 * <p>The dependent quantizer's grid is Δ/2, so each of its two quantizers has the scalar step Δ and no weight moves
 * by more than Δ. Its trellis runs twice: first pricing bins at probability 1/2, then with the context probabilities
 * the first pass's levels leave in the coder's models.
 */
public final class RdQuantization {
    /** Price of one bit, in units of Δ² of the QP's scalar step. */
    public static final double LAMBDA = RoundingChooser.LAMBDA;
    private static final int PASSES = 2;

    private RdQuantization() {}

    /**
     * Quantizes {@code w} (minus {@code base}) at scalar steps {@code steps} into {@code u} (method set by the
     * caller): fills steps, rounding, dependent flag and the coded levels. Returns the levels.
     */
    public static int[] quantize(TensorUnit u, float[] w, float[] base, byte[] classes, float[] steps, double rounding, int quantizer, int threads) {
        long[] dims = u.dims;
        int axis = u.axis;
        if (!Double.isNaN(rounding)) return scalar(u, w, base, classes, steps, rounding, threads);
        double theta = RoundingChooser.choose(w, base, steps, dims, axis, classes);
        if (quantizer == CodecOptions.QUANT_THETA) return scalar(u, w, base, classes, steps, theta, threads);
        TensorUnit best = null;
        int[] bestQ = null;
        double bestJ = Double.POSITIVE_INFINITY;
        java.util.List<int[]> cands = new java.util.ArrayList<>();
        java.util.List<float[]> candSteps = new java.util.ArrayList<>();
        int[] near = round(w, base, steps, dims, axis, 0.5);
        cands.add(near);
        candSteps.add(steps);
        if (theta != 0.5) {
            cands.add(round(w, base, steps, dims, axis, theta));
            candSteps.add(steps);
        }
        cands.add(trellis(w, base, classes, steps, dims, axis, false, cands.get(cands.size() - 1), 1).levels());
        candSteps.add(steps);
        if (quantizer == CodecOptions.QUANT_TRELLIS) {
            float[] half = new float[steps.length];
            for (int c = 0; c < half.length; c++) half[c] = steps[c] / 2;
            int[] q = null;
            for (int pass = 0; pass < PASSES; pass++) q = trellis(w, base, classes, half, dims, axis, true, q, 4).levels();
            cands.add(q);
            candSteps.add(half);
        }
        for (int c = 0; c < cands.size(); c++) {
            boolean dq = candSteps.get(c) != steps;
            TensorUnit t = shell(u);
            t.dependent = dq;
            t.steps = candSteps.get(c);
            TensorCodec.fillLevels(t, cands.get(c), classes, threads);
            double j = cost(t, w, base, steps, cands.get(c));
            if (j < bestJ) {
                bestJ = j;
                best = t;
                bestQ = cands.get(c);
            }
        }
        u.steps = best.steps;
        u.dependent = best.dependent;
        u.rounding = (float) theta;
        copyLevels(best, u);
        return bestQ;
    }

    private static int[] scalar(TensorUnit u, float[] w, float[] base, byte[] classes, float[] steps, double theta, int threads) {
        int[] q = round(w, base, steps, u.dims, u.axis, theta);
        u.steps = steps;
        u.dependent = false;
        u.rounding = (float) theta;
        TensorCodec.fillLevels(u, q, classes, threads);
        return q;
    }

    private static int[] round(float[] w, float[] base, float[] steps, long[] dims, int axis, double theta) {
        int[] q = new int[w.length];
        UniformQuantizer.quantize(w, base, steps, dims, axis, theta, q);
        return q;
    }

    /**
     * One trellis pass: prices bins with the contexts that {@code start} (levels of a previous pass, or null for
     * probability 1/2 everywhere) leaves in the coder's models; λ is scaled by {@code lambdaScale} = (Δ / steps)².
     */
    static TrellisQuantizer.Result trellis(float[] w, float[] base, byte[] classes, float[] steps, long[] dims, int axis, boolean dependent, int[] start, int lambdaScale) {
        int[] ctx = RiceLevelBinarization.contexts();
        int k = 0;
        if (start != null) {
            k = BinarizationChooser.chooseLevelCoding(start, classes, dependent).k();
            RiceLevelBinarization.encode(start, 0, start.length, classes, k, dependent, new BitCostEstimator(), ctx);
        } else {
            // A first guess of K from the spread: levels of about |x|/Δ.
            double s = 0;
            int[] lay = UniformQuantizer.layout(dims, axis);
            for (int i = 0; i < w.length; i++) s += Math.abs((base == null ? w[i] : w[i] - base[i]) / steps[lay[0] == 1 ? 0 : (i / lay[1]) % lay[0]]);
            double mean = w.length == 0 ? 0 : s / w.length / 2;
            k = mean * Math.log(2) <= 1 ? 0 : Math.min(RiceLevelBinarization.MAX_K, (int) Math.ceil(Math.log(mean * Math.log(2)) / Math.log(2)));
        }
        return TrellisQuantizer.search(w, base, steps, dims, axis, classes, dependent, k, ctx, LAMBDA * lambdaScale, TensorCodec.SLICE);
    }

    // J = Σ (w − ŵ)²/Δ² + λ · bits with Δ the scalar steps, bits those of the real coder.
    private static double cost(TensorUnit t, float[] w, float[] base, float[] steps, int[] q) {
        float[] rec = TensorCodec.reconstructLevels(t, q, base);
        int[] lay = UniformQuantizer.layout(t.dims, t.axis);
        double d = 0;
        for (int i = 0; i < w.length; i++) {
            double st = steps[lay[0] == 1 ? 0 : (i / lay[1]) % lay[0]], e = ((double) w[i] - rec[i]) / st;
            d += e * e;
        }
        return d + LAMBDA * 8 * t.codedBytes();
    }

    private static TensorUnit shell(TensorUnit u) {
        TensorUnit t = new TensorUnit();
        t.dims = u.dims;
        t.axis = u.axis;
        t.method = u.method;
        return t;
    }

    private static void copyLevels(TensorUnit from, TensorUnit to) {
        to.scheme = from.scheme;
        to.riceK = from.riceK;
        to.sliceElements = from.sliceElements;
        to.slices = from.slices;
    }
}
