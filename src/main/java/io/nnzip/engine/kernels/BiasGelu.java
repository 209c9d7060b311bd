package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The epilogue of a linear layer, in place on its (rows, n) output while it is still in cache: + bias, then
 * optionally GELU, 0.5·x·(1 + erf(x/√2)) with {@link FastErf} (the exact form, not the tanh approximation), then
 * optionally + a residual of the output's own shape (a transformer block's skip connection).
 */
public final class BiasGelu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    private BiasGelu() {}

    /** bias: (n) or null; residual: (rows, n) or null. */
    public static void apply(float[] y, int rows, int n, float[] bias, boolean gelu, float[] residual, Parallel par) {
        if (bias == null && !gelu && residual == null) return;
        par.forRange(rows, Math.max(1, 16384 / Math.max(1, n)), (lo, hi) -> {
            for (int r = lo; r < hi; r++) row(y, r * n, n, bias, gelu, residual);
        });
    }

    /** Serially over rows [from, to) of the (rows, n) output. */
    public static void rows(float[] y, int from, int to, int n, float[] bias, boolean gelu, float[] residual) {
        for (int r = from; r < to; r++) row(y, r * n, n, bias, gelu, residual);
    }

    /** GELU of every element, into a new array. */
    public static float[] gelu(float[] x, Parallel par) { return gelu(x, new float[x.length], par); }

    /** GELU of every element of x into y (x's length, every element overwritten); returns y. */
    public static float[] gelu(float[] x, float[] y, Parallel par) {
        int chunk = 4096;
        par.forRange((x.length + chunk - 1) / chunk, 4, (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                int o = c * chunk, n = Math.min(chunk, x.length - o);
                System.arraycopy(x, o, y, o, n);
                GeluRange.apply(y, o, o + n, null);
            }
        });
        return y;
    }

    private static void row(float[] y, int o, int n, float[] bias, boolean gelu, float[] residual) {
        if (gelu) rowGelu(y, o, n, bias, residual);
        else rowAdd(y, o, n, bias, residual);
    }

    // apart from the plain adds, so a profile of GELU-free rows cannot make the erf call look cold to C2 (out of line,
    // it boxes every vector); the hot fused path is GeluRange, which has no vector-typed calls at all
    static void rowGelu(float[] y, int o, int n, float[] bias, float[] residual) {
        for (int i = 0; i < n; i += S.length()) {
            // the tail runs masked, so every element goes through the same float arithmetic
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, y, o + i, m);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, i, m));
            v = v.mul(0.5f).mul(FastErf.erf(v.mul(INV_SQRT2)).add(1f));
            if (residual != null) v = v.add(FloatVector.fromArray(S, residual, o + i, m));
            v.intoArray(y, o + i, m);
        }
    }

    private static void rowAdd(float[] y, int o, int n, float[] bias, float[] residual) {
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, y, o + i, m);
            if (bias != null) v = v.add(FloatVector.fromArray(S, bias, i, m));
            if (residual != null) v = v.add(FloatVector.fromArray(S, residual, o + i, m));
            v.intoArray(y, o + i, m);
        }
    }
}
