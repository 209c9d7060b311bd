package io.nnzip.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * LaneMath against StrictMath in double (the exact value for float purposes): at most {@link #EXP_ULPS} /
 * {@link #TANH_ULPS} float ulps over a dense sweep of float bit patterns and the edge values; and the same bits on
 * every call from the interpreter to C2, checked against the algorithm written out lane by lane in scalar float
 * arithmetic (which Java rounds the same in every mode).
 */
class LaneMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final double EXP_ULPS = 1.0, TANH_ULPS = 2.0;

    private static final float[] EDGES = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 88.72283f, 88.72284f, 88.7229f, 89f, 89.1f, 200f, -87.33654f, -87.33655f,
            -103.2789f, -103.97207f, -103.97208f, -104f, -104.1f, -150f, 0.34657359f, -0.34657359f, 0.17328680f, 1e-30f, -1e-30f, 9.01f, 9.1f,
            10f, 10.5f, -9.2f, 20f, 1e-4f, 0.5493061f, -0.5493061f};

    /** Error of got in float ulps of the exact value (subnormal ulps below the normal range). */
    private static double ulps(float got, double exact) {
        float rounded = (float) exact;
        if (Double.isNaN(exact)) return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        if (Float.isInfinite(rounded)) return got == rounded ? 0 : Double.POSITIVE_INFINITY;
        if (Float.isInfinite(got)) return Double.POSITIVE_INFINITY;
        return Math.abs(got - exact) / Math.ulp(rounded); // Float.MIN_VALUE in the subnormal range
    }

    /** Max ulp error over every 37th float bit pattern (116 M values, all exponents, both signs) plus the edges. */
    private static double maxUlps(UnaryOperator<FloatVector> f, DoubleUnaryOperator exact) {
        float[] x = new float[1 << 16], y = new float[x.length];
        double worst = 0;
        long bits = 0;
        boolean edgesDone = false;
        while (!edgesDone) {
            int n = 0;
            if (bits >= (1L << 32)) {
                for (float e : EDGES) x[n++] = e;
                while (n % L != 0) x[n++] = 1f;
                edgesDone = true;
            } else
                for (; n < x.length && bits < (1L << 32); bits += 37) x[n++] = Float.intBitsToFloat((int) bits);
            int end = S.loopBound(n);
            for (int i = 0; i < end; i += L) f.apply(FloatVector.fromArray(S, x, i)).intoArray(y, i);
            for (int i = 0; i < end; i++) {
                double e = ulps(y[i], exact.applyAsDouble(x[i]));
                if (e > worst) worst = e;
                if (e == Double.POSITIVE_INFINITY) fail("x = " + x[i] + ": got " + y[i] + ", want " + exact.applyAsDouble(x[i]));
            }
        }
        return worst;
    }

    @Test
    void expWithinOneUlp() {
        double worst = maxUlps(LaneMath::exp, StrictMath::exp);
        assertTrue(worst <= EXP_ULPS, "max error " + worst + " ulp");
    }

    @Test
    void tanhWithinTwoUlps() {
        double worst = maxUlps(LaneMath::tanh, StrictMath::tanh);
        assertTrue(worst <= TANH_ULPS, "max error " + worst + " ulp");
    }

    @Test
    void signsAndLimitsExact() {
        float[] x = new float[L], y = new float[L];
        for (float[] pair : new float[][] {{0f, 1f}, {-0f, 1f}, {Float.NEGATIVE_INFINITY, 0f}, {-200f, 0f}, {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}, {89f, Float.POSITIVE_INFINITY}}) {
            java.util.Arrays.fill(x, pair[0]);
            LaneMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
            assertEquals(pair[1], y[0], "exp(" + pair[0] + ")");
        }
        for (float[] pair : new float[][] {{0f, 0f}, {-0f, -0f}, {Float.POSITIVE_INFINITY, 1f}, {Float.NEGATIVE_INFINITY, -1f}, {30f, 1f}, {-30f, -1f}}) {
            java.util.Arrays.fill(x, pair[0]);
            LaneMath.tanh(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
            assertEquals(Float.floatToRawIntBits(pair[1]), Float.floatToRawIntBits(y[0]), "tanh(" + pair[0] + ") = " + y[0]);
        }
        java.util.Arrays.fill(x, Float.NaN);
        LaneMath.exp(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
        assertTrue(Float.isNaN(y[0]));
        LaneMath.tanh(FloatVector.fromArray(S, x, 0)).intoArray(y, 0);
        assertTrue(Float.isNaN(y[0]));
    }

    // the algorithm of LaneMath, one lane at a time in scalar float arithmetic
    private static final float LOG2E = (float) (1 / Math.log(2)), HI = 0.693145751953125f, LO = (float) (Math.log(2) - 0.693145751953125), ROUND = 12582912f;

    private static float poly(float r) {
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        for (float c : new float[] {1f / 120, 1f / 24, 1f / 6, 1f / 2, 1f}) p = Math.fma(p, r, c);
        return p;
    }

    private static float pow2(int k) { return Float.intBitsToFloat((k + 127) << 23); }

    private static float expByHand(float x) {
        x = Math.min(Math.max(x, -104f), 89f);
        float t = Math.fma(x, LOG2E, ROUND), k = t - ROUND, r = Math.fma(k, -LO, Math.fma(k, -HI, x));
        int ki = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND), k1 = ki >> 1;
        return Math.fma(poly(r), r, 1f) * pow2(k1) * pow2(ki - k1);
    }

    private static float tanhByHand(float x) {
        float ax = Math.abs(x), a = Math.min(ax, 10f) * 2f;
        float t = Math.fma(a, LOG2E, ROUND), k = t - ROUND, r = Math.fma(k, -LO, Math.fma(k, -HI, a));
        float s = pow2(Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND)), m = Math.fma(s, poly(r) * r, s - 1f);
        float u = ax * ax, q = Math.fma(u, -0.006269673351198435f, 0.021067680791020393f);
        for (float c : new float[] {-0.05385110527276993f, 0.1333257108926773f, -0.33333316445350647f}) q = Math.fma(q, u, c);
        float y = ax < 0.5493f ? Math.fma(ax * u, q, ax) : m / (m + 2f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & Integer.MIN_VALUE));
    }

    @Test
    void sameBitsOnEveryCallFromInterpretedToCompiled() {
        java.util.Random rnd = new java.util.Random(11);
        float[] x = new float[64 * L], y = new float[x.length], want = new float[x.length], wantTanh = new float[x.length];
        // softmax-like arguments (≤ 0), GELU's −x²/2, and tanh's working range
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (i % 3 == 0 ? 20 : 3));
        for (int i = 0; i < x.length; i++) { want[i] = expByHand(x[i]); wantTanh[i] = tanhByHand(x[i]); }
        // enough calls for C2 to compile both (lanewise(EXP) differed here on ~0.5 % of lanes once compiled)
        for (int it = 0; it < 20_000; it++)
            for (int i = 0; i < x.length; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                LaneMath.exp(v).intoArray(y, i);
                for (int j = i; j < i + L; j++) if (Float.floatToRawIntBits(y[j]) != Float.floatToRawIntBits(want[j])) fail("exp, call " + it + ", x = " + x[j] + ": " + y[j] + " vs " + want[j]);
                LaneMath.tanh(v).intoArray(y, i);
                for (int j = i; j < i + L; j++) if (Float.floatToRawIntBits(y[j]) != Float.floatToRawIntBits(wantTanh[j])) fail("tanh, call " + it + ", x = " + x[j] + ": " + y[j] + " vs " + wantTanh[j]);
            }
    }
}
