package io.nnzip.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x and tanh on float lanes, the same bits interpreted and compiled. {@code lanewise(EXP)} and {@code lanewise(TANH)}
 * are C2 intrinsics (vector math library) that round ~0.5 % of lanes differently from the interpreter's Java
 * fallback, so a kernel's result depended on when the JIT compiled it. These use only lane-wise add, mul, fma,
 * min/max and integer bit operations, each correctly rounded by both.
 * <p>
 * exp: x = k·ln2 + r with k = round(x·log₂e), |r| ≤ ln2/2 (ln2 in two parts, so k·ln2 is subtracted almost
 * exactly); e^r by its Taylor polynomial to degree 7 (truncation below 5e-9 relative); then 2^k through the exponent
 * bits, in two halves so that results in the subnormal range round once and k = 128 gives +∞. x is clamped to
 * [−104, 89] first (beyond, e^x rounds to 0 or overflows); NaN stays NaN (min/max propagate it).
 * <p>
 * tanh(x) = sign(x)·m/(m + 2) with m = e^(2|x|) − 1 = 2^k·(e^r − 1) + (2^k − 1) for |x| ≥ atanh(½), |x| clamped
 * to 10 (tanh rounds to 1 from 9.1 on); below, an odd polynomial (the quotient's three roundings cost up to 3 ulps
 * there). Both are computed and the lane picks one.
 * <p>
 * Error against StrictMath over a sweep of every 37th float bit pattern (LaneMathTest): exp ≤ 1 ulp, tanh ≤ 1.5.
 * Methods are short so C2 inlines them into the kernels (a call that is not inlined boxes its vectors).
 */
public final class LaneMath {
    static final float LOG2E = (float) (1 / Math.log(2));
    // ln2 = LN2_HI + LN2_LO: LN2_HI has 15 significant bits, so k·LN2_HI and x − k·LN2_HI are exact for the k used here
    static final float LN2_HI = 0.693145751953125f, LN2_LO = (float) (Math.log(2) - 0.693145751953125);
    /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer, which then sits in the low mantissa bits. */
    static final float ROUND = 12582912f;
    static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /**
     * Below atanh(½), tanh(x) = x + x³·(T0 + T1·x² + … + T4·x⁸): a least-squares fit on Chebyshev nodes in x² (relative
     * error 2.2e-9 with these float coefficients), which keeps tanh's last bits where m/(m + 2) loses up to 3 ulps.
     */
    private static final float SMALL = 0.5493f;
    private static final float T0 = -0.33333316445350647f, T1 = 0.1333257108926773f, T2 = -0.05385110527276993f, T3 = 0.021067680791020393f,
            T4 = -0.006269673351198435f;

    private LaneMath() {}

    /** e^x per lane, within 1 ulp (see the class comment). */
    public static FloatVector exp(FloatVector x) { return expClamped(x.max(-104f).min(89f)); }

    // exp in pieces of at most 35 bytecodes (MaxInlineSize): as one 172-byte method C2 refused to inline it into some
    // kernels ("callee is too large"), and the call boxed its vectors
    private static FloatVector expClamped(FloatVector x) {
        FloatVector t = x.fma(LOG2E, ROUND);
        return scale(expSmall(reduce(x, t)), bits(t));
    }

    /** r = x − k·ln2, with k = t − ROUND. */
    private static FloatVector reduce(FloatVector x, FloatVector t) {
        FloatVector k = t.sub(ROUND);
        return k.fma(k.broadcast(-LN2_LO), k.fma(k.broadcast(-LN2_HI), x));
    }

    /** e^r for |r| ≤ ln2/2: 1 + r + r²/2 + … + r⁷/7!. */
    private static FloatVector expSmall(FloatVector r) { return horner3(horner3(r.fma(C7, C6), r, C5, C4, C3), r, C2, 1f, 1f); }

    private static FloatVector horner3(FloatVector p, FloatVector r, float a, float b, float c) {
        return p.fma(r, r.broadcast(a)).fma(r, r.broadcast(b)).fma(r, r.broadcast(c));
    }

    /** k as an integer: t = ROUND + k holds k in its low mantissa bits. */
    private static IntVector bits(FloatVector t) { return t.viewAsIntegralLanes().sub(ROUND_BITS); }

    /** p·2^k, in two halves so that a subnormal result rounds once and k = 128 gives +∞. */
    private static FloatVector scale(FloatVector p, IntVector k) {
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        return p.mul(pow2(k1)).mul(pow2(k.sub(k1)));
    }

    /** tanh per lane (see the class comment for the two forms; pieces of at most 35 bytecodes, as for exp). */
    public static FloatVector tanh(FloatVector x) { return withSignOf(x, tanhAbs(x.abs())); }

    private static FloatVector tanhAbs(FloatVector ax) { return tanhBig(ax).blend(tanhSmall(ax), ax.compare(VectorOperators.LT, SMALL)); }

    /** m/(m + 2), m = e^(2|x|) − 1. */
    private static FloatVector tanhBig(FloatVector ax) {
        FloatVector m = expm1(ax.min(10f).mul(2f));
        return m.div(m.add(2f));
    }

    /** e^a − 1 for 0 ≤ a ≤ 20: 2^k·(e^r − 1) + (2^k − 1). */
    private static FloatVector expm1(FloatVector a) {
        FloatVector t = a.fma(LOG2E, ROUND);
        return plusPow2Minus1(pow2(bits(t)), expm1Small(reduce(a, t)));
    }

    private static FloatVector plusPow2Minus1(FloatVector s, FloatVector q) { return s.fma(q, s.sub(1f)); }

    /** e^r − 1 = r·(1 + r/2 + … + r⁶/7!). */
    private static FloatVector expm1Small(FloatVector r) { return horner2(horner3(r.fma(C7, C6), r, C5, C4, C3), r, C2, 1f).mul(r); }

    private static FloatVector horner2(FloatVector p, FloatVector r, float a, float b) { return p.fma(r, r.broadcast(a)).fma(r, r.broadcast(b)); }

    private static FloatVector tanhSmall(FloatVector ax) {
        FloatVector u = ax.mul(ax);
        return horner3(u.fma(T4, T3), u, T2, T1, T0).fma(ax.mul(u), ax);
    }

    private static FloatVector withSignOf(FloatVector x, FloatVector y) {
        return y.viewAsIntegralLanes().or(x.viewAsIntegralLanes().and(Integer.MIN_VALUE)).reinterpretAsFloats();
    }

    /** 2^k for −126 ≤ k ≤ 127, from the exponent bits. */
    private static FloatVector pow2(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }
}
