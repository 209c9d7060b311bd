package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * erf on float lanes, for GELU written as Erf by the exporter (the double-precision series of
 * {@code Special.erf} costs ~0.6 µs per element). Two branches, both evaluated and blended:
 * <pre>
 * |x| &lt; 0.6   Maclaurin series 2/√π·x·Σ (−x²)^k / (k!(2k+1)), k ≤ 6      (truncation &lt; 1e-8 relative)
 * |x| ≥ 0.6   1 − (a1·t + … + a5·t⁵)·e^(−x²), t = 1/(1 + p|x|), sign of x  (Abramowitz &amp; Stegun 7.1.26, |error| &lt; 1.5e-7)
 * </pre>
 * so the error stays within ~3e-7 relative everywhere, a few float ulps.
 */
public final class FastErf {
    static final float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    static final float TWO_OVER_SQRT_PI = (float) (2 / Math.sqrt(Math.PI));
    // Maclaurin coefficients of erf(x)·√π/2 / x in powers of x²: (−1)^k / (k!(2k+1))
    static final float[] SERIES = {1f, -1f / 3, 1f / 10, -1f / 42, 1f / 216, -1f / 1320, 1f / 9360};

    private FastErf() {}

    public static FloatVector erf(FloatVector x) { return erf(x, LaneMath.exp(x.mul(x).neg())); }

    /** erf(x) given e^(−x²) (a caller that needs that exponential too computes it once). */
    public static FloatVector erf(FloatVector x, FloatVector expNegX2) {
        FloatVector a = x.abs(), x2 = x.mul(x);
        FloatVector s = x2.broadcast(SERIES[6]);
        for (int k = 5; k >= 0; k--) s = s.fma(x2, x2.broadcast(SERIES[k]));
        FloatVector small = s.mul(x).mul(TWO_OVER_SQRT_PI);
        FloatVector t = x2.broadcast(1f).div(a.fma(P, 1f));
        FloatVector poly = t.fma(A5, A4).fma(t, t.broadcast(A3)).fma(t, t.broadcast(A2)).fma(t, t.broadcast(A1)).mul(t);
        FloatVector big = poly.mul(expNegX2).neg().add(1f);
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        return small.blend(big, a.compare(VectorOperators.GE, 0.6f));
    }
}
