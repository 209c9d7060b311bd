package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise activation gradients; every array has the activation's (any) shape. */
public final class ActivationBackward {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    private ActivationBackward() {}

    /** dx may be any array of dy's length; it is overwritten and returned. */
    public static float[] relu(float[] dy, float[] y, float[] dx, Parallel par) {
        par.forRange(dx.length, 1 << 16, (lo, hi) -> {
            int i = lo;
            for (int end = lo + SPECIES.loopBound(hi - lo); i < end; i += SPECIES.length()) {
                FloatVector yv = FloatVector.fromArray(SPECIES, y, i);
                FloatVector.fromArray(SPECIES, dy, i).blend(0f, yv.compare(VectorOperators.LE, 0f)).intoArray(dx, i);
            }
            for (; i < hi; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
        });
        return dx;
    }

    public static float[] leakyRelu(float[] dy, float[] x, float alpha) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = x[i] > 0f ? dy[i] : alpha * dy[i];
        return dx;
    }

    /** Gradient passes only where the input lies strictly inside [lo, hi]. */
    public static float[] clip(float[] dy, float[] x, float lo, float hi) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = x[i] > lo && x[i] < hi ? dy[i] : 0f;
        return dx;
    }

    public static float[] sigmoid(float[] dy, float[] y) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
        return dx;
    }

    public static float[] tanh(float[] dy, float[] y) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
        return dx;
    }

    /** erf'(x) = 2/√π·e^(−x²). */
    public static float[] erf(float[] dy, float[] x) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = dy[i] * (float) (TWO_OVER_SQRT_PI * Math.exp(-(double) x[i] * x[i]));
        return dx;
    }

    /** From the output: d√x = 1/(2√x). */
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2)), INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    /** GELU (erf form): d/dx ½x(1 + erf(x/√2)) = Φ(x) + x·φ(x); dx may be any array of dy's length, overwritten and returned. */
    public static float[] gelu(float[] dy, float[] x, float[] dx, Parallel par) {
        int chunk = 8192;
        par.forRange((dx.length + chunk - 1) / chunk, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int lo = c * chunk, hi = Math.min(dx.length, lo + chunk);
                for (int i = lo; i < hi; i += SPECIES.length()) {
                    var m = SPECIES.indexInRange(i, hi);
                    FloatVector v = FloatVector.fromArray(SPECIES, x, i, m);
                    // one exponential serves both: e^(−x²/2) is erf's e^(−z²) at z = x/√2 and the normal density's
                    FloatVector e = io.nnzip.engine.kernels.LaneMath.exp(v.mul(v).mul(-0.5f));
                    FloatVector cdf = io.nnzip.engine.kernels.FastErf.erf(v.mul(INV_SQRT2), e).add(1f).mul(0.5f);
                    FloatVector pdf = e.mul(INV_SQRT_2PI);
                    FloatVector.fromArray(SPECIES, dy, i, m).mul(v.fma(pdf, cdf)).intoArray(dx, i, m);
                }
            }
        });
        return dx;
    }

    public static float[] sqrt(float[] dy, float[] y) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dx.length; i++) dx[i] = dy[i] * 0.5f / y[i];
        return dx;
    }

    /** d(a^b)/da for a and b already at the output's shape. */
    public static float[] powBase(float[] dy, float[] a, float[] b) {
        float[] r = new float[dy.length];
        for (int i = 0; i < r.length; i++) r[i] = b[i] == 2f ? 2f * a[i] * dy[i] : dy[i] * b[i] * (float) Math.pow(a[i], b[i] - 1f);
        return r;
    }

    /** d(a^b)/db = a^b·ln a, taken as 0 where a ≤ 0 (no real logarithm). */
    public static float[] powExponent(float[] dy, float[] y, float[] a) {
        float[] r = new float[dy.length];
        for (int i = 0; i < r.length; i++) r[i] = a[i] > 0f ? dy[i] * y[i] * (float) Math.log(a[i]) : 0f;
        return r;
    }

    public static float[] mul(float[] a, float[] b) {
        float[] r = new float[a.length];
        for (int i = 0; i < r.length; i++) r[i] = a[i] * b[i];
        return r;
    }

    public static float[] scale(float[] a, float s) {
        float[] r = new float[a.length];
        for (int i = 0; i < r.length; i++) r[i] = a[i] * s;
        return r;
    }

    /** d(a/b)/db · dy = -dy·a/b² = -dy·y/b. */
    public static float[] divDenominator(float[] dy, float[] y, float[] b) {
        float[] r = new float[dy.length];
        for (int i = 0; i < r.length; i++) r[i] = -dy[i] * y[i] / b[i];
        return r;
    }

    public static float[] div(float[] dy, float[] b) {
        float[] r = new float[dy.length];
        for (int i = 0; i < r.length; i++) r[i] = dy[i] / b[i];
        return r;
    }

    /** r = a + b elementwise (r may be a or b). */
    public static void addInto(float[] a, float[] b, float[] r) {
        // a plain loop: C2 vectorizes it, and before C2 it costs the interpreter far less than Vector API calls
        for (int i = 0; i < r.length; i++) r[i] = a[i] + b[i];
    }

    public static float[] add(float[] a, float[] b) {
        float[] r = new float[a.length];
        for (int i = 0; i < r.length; i++) r[i] = a[i] + b[i];
        return r;
    }

    /**
     * Softmax along an axis seen as (outer, axis, inner): dx = y·(dy − Σ_axis dy·y).
     * With {@code log}, y is log-softmax: dx = dy − softmax·Σ_axis dy.
     */
    public static float[] softmax(float[] dy, float[] y, int outer, int axis, int inner, boolean log) {
        float[] dx = new float[dy.length];
        for (int o = 0; o < outer; o++)
            for (int in = 0; in < inner; in++) {
                int base = o * axis * inner + in;
                float dot = 0f;
                for (int a = 0; a < axis; a++) {
                    int i = base + a * inner;
                    dot += log ? dy[i] : dy[i] * y[i];
                }
                for (int a = 0; a < axis; a++) {
                    int i = base + a * inner;
                    dx[i] = log ? dy[i] - (float) Math.exp(y[i]) * dot : y[i] * (dy[i] - dot);
                }
            }
        return dx;
    }
}
