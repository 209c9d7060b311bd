package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized reductions over a slice (float lanes, summed into a double per call so long channels stay accurate). */
public final class VecSums {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VecSums() {}

    static double sum(float[] a, int off, int len) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int end = S.loopBound(len); i < end; i += S.length()) acc = acc.add(FloatVector.fromArray(S, a, off + i));
        double s = LaneSum.of(acc);
        for (; i < len; i++) s += a[off + i];
        return s;
    }

    /** Adds the slice's sum to into[0] and its sum of squares to into[1], reading the slice once. */
    static void sumAndSquares(float[] a, int off, int len, double[] into) {
        FloatVector acc = FloatVector.zero(S), acc2 = acc;
        int i = 0;
        for (int end = S.loopBound(len); i < end; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, a, off + i);
            acc = acc.add(v);
            acc2 = v.fma(v, acc2);
        }
        FloatVector sums = LaneSum.two(acc, acc2);
        double s = LaneSum.first(sums), ss = LaneSum.second(sums);;
        for (; i < len; i++) {
            s += a[off + i];
            ss += (double) a[off + i] * a[off + i];
        }
        into[0] += s;
        into[1] += ss;
    }

    /** acc[j] += a[off + j] for j &lt; n. */
    public static void addInto(float[] a, int off, float[] acc, int n) {
        int j = 0;
        for (int end = S.loopBound(n); j < end; j += S.length())
            FloatVector.fromArray(S, acc, j).add(FloatVector.fromArray(S, a, off + j)).intoArray(acc, j);
        for (; j < n; j++) acc[j] += a[off + j];
    }

    static double dot(float[] a, float[] b, int off, int len) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int end = S.loopBound(len); i < end; i += S.length())
            acc = FloatVector.fromArray(S, a, off + i).fma(FloatVector.fromArray(S, b, off + i), acc);
        double s = LaneSum.of(acc);
        for (; i < len; i++) s += (double) a[off + i] * b[off + i];
        return s;
    }
}
