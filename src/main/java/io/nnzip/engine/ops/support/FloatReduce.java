package io.nnzip.engine.ops.support;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 reductions over one contiguous block of axes, viewed as (outer, len, inner): rows are reduced with
 * vector lanes when inner == 1, otherwise whole inner runs are accumulated lane-wise. Sums accumulate in float
 * lanes then double across lanes, which keeps error at float rounding per partial sum.
 */
public final class FloatReduce {
    public enum Op { SUM, MAX, MIN, SUM_SQUARE, L1 }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FloatReduce() {}

    // x: (outer, len, inner) -> (outer, inner)
    public static float[] apply(Op op, float[] x, int outer, int len, int inner, Parallel par) {
        float[] out = new float[outer * inner];
        Parallel.Range body = (lo, hi) -> {
            for (int o = lo; o < hi; o++) {
                if (inner == 1) out[o] = row(op, x, o * len, len);
                else columns(op, x, o * len * inner, len, inner, out, o * inner);
            }
        };
        if (par != null && (long) outer * len * inner >= (1 << 15)) par.forRange(outer, 1, body);
        else body.run(0, outer);
        return out;
    }

    private static float init(Op op) {
        return switch (op) {
            case MAX -> Float.NEGATIVE_INFINITY;
            case MIN -> Float.POSITIVE_INFINITY;
            default -> 0f;
        };
    }

    private static FloatVector step(Op op, FloatVector acc, FloatVector v) {
        return switch (op) {
            case SUM -> acc.add(v);
            case MAX -> acc.lanewise(VectorOperators.MAX, v);
            case MIN -> acc.lanewise(VectorOperators.MIN, v);
            case SUM_SQUARE -> v.fma(v, acc);
            case L1 -> acc.add(v.abs());
        };
    }

    private static float step(Op op, float acc, float v) {
        return switch (op) {
            case SUM -> acc + v;
            case MAX -> Math.max(acc, v);
            case MIN -> Math.min(acc, v);
            case SUM_SQUARE -> acc + v * v;
            case L1 -> acc + Math.abs(v);
        };
    }

    private static float row(Op op, float[] x, int off, int n) {
        int i = 0, L = S.length(), end = S.loopBound(n);
        FloatVector acc = FloatVector.broadcast(S, init(op));
        for (; i < end; i += L) acc = step(op, acc, FloatVector.fromArray(S, x, off + i));
        float r = switch (op) {
            case MAX -> acc.reduceLanes(VectorOperators.MAX);
            case MIN -> acc.reduceLanes(VectorOperators.MIN);
            default -> LaneSum.of(acc);
        };
        for (; i < n; i++) r = step(op, r, x[off + i]);
        return r;
    }

    private static void columns(Op op, float[] x, int off, int len, int inner, float[] out, int oo) {
        java.util.Arrays.fill(out, oo, oo + inner, init(op));
        int L = S.length(), end = S.loopBound(inner);
        for (int r = 0; r < len; r++) {
            int base = off + r * inner, i = 0;
            for (; i < end; i += L) step(op, FloatVector.fromArray(S, out, oo + i), FloatVector.fromArray(S, x, base + i)).intoArray(out, oo + i);
            for (; i < inner; i++) out[oo + i] = step(op, out[oo + i], x[base + i]);
        }
    }
}
