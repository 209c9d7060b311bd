package io.nnzip.engine.ops.support;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.kernels.LaneMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 unary maps on the hot path of CNN and MLP inference, vectorized. Each op is its own loop so the JIT sees
 * a constant lane operation; {@code p} and {@code q} are the op's parameters (alpha, bounds).
 */
public final class FloatUnary {
    public enum Op { RELU, LEAKY_RELU, SIGMOID, TANH, EXP, LOG, NEG, ABS, SQRT, CLIP, HARD_SIGMOID, HARD_SWISH, RECIPROCAL, SCALE_SHIFT, ERF }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 1 << 14;

    private FloatUnary() {}

    // x: (n) -> y: (n)
    public static float[] apply(Op op, float[] x, float p, float q, Parallel par) {
        float[] y = new float[x.length];
        int chunks = (x.length + CHUNK - 1) / CHUNK;
        Parallel.Range body = (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                int from = c * CHUNK;
                run(op, x, y, from, Math.min(x.length, from + CHUNK), p, q);
            }
        };
        if (chunks > 1 && par != null) par.forRange(chunks, 1, body);
        else body.run(0, chunks);
        return y;
    }

    /** {@code y[i] = op(x[i])} for i in [from, to). */
    public static void run(Op op, float[] x, float[] y, int from, int to, float p, float q) {
        int i = from, L = S.length(), end = from + S.loopBound(to - from);
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case RELU -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).lanewise(VectorOperators.MAX, zero).intoArray(y, i); }
            case LEAKY_RELU -> {
                for (; i < end; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    v.blend(v.mul(p), v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
                }
            }
            case SIGMOID -> { for (; i < end; i += L) one.div(LaneMath.exp(FloatVector.fromArray(S, x, i).neg()).add(one)).intoArray(y, i); }
            case TANH -> { for (; i < end; i += L) LaneMath.tanh(FloatVector.fromArray(S, x, i)).intoArray(y, i); }
            case EXP -> { for (; i < end; i += L) LaneMath.exp(FloatVector.fromArray(S, x, i)).intoArray(y, i); }
            case LOG -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).lanewise(VectorOperators.LOG).intoArray(y, i); }
            case NEG -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).neg().intoArray(y, i); }
            case ABS -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).abs().intoArray(y, i); }
            case SQRT -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).sqrt().intoArray(y, i); }
            case RECIPROCAL -> { for (; i < end; i += L) one.div(FloatVector.fromArray(S, x, i)).intoArray(y, i); }
            case CLIP -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).lanewise(VectorOperators.MAX, p).lanewise(VectorOperators.MIN, q).intoArray(y, i); }
            case HARD_SIGMOID -> {
                for (; i < end; i += L) FloatVector.fromArray(S, x, i).fma(p, q).lanewise(VectorOperators.MAX, zero).lanewise(VectorOperators.MIN, one).intoArray(y, i);
            }
            case HARD_SWISH -> {
                for (; i < end; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    v.mul(v.fma(1f / 6f, 0.5f).lanewise(VectorOperators.MAX, zero).lanewise(VectorOperators.MIN, one)).intoArray(y, i);
                }
            }
            case SCALE_SHIFT -> { for (; i < end; i += L) FloatVector.fromArray(S, x, i).fma(p, q).intoArray(y, i); }
            case ERF -> { for (; i < end; i += L) io.nnzip.engine.kernels.FastErf.erf(FloatVector.fromArray(S, x, i)).intoArray(y, i); }
        }
        for (; i < to; i++) y[i] = scalar(op, x[i], p, q);
    }

    public static float scalar(Op op, float v, float p, float q) {
        return switch (op) {
            case RELU -> v > 0 ? v : (v == v ? 0f : v);
            case LEAKY_RELU -> v < 0 ? v * p : v;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
            case EXP -> (float) Math.exp(v);
            case LOG -> (float) Math.log(v);
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SQRT -> (float) Math.sqrt(v);
            case RECIPROCAL -> 1f / v;
            case CLIP -> Math.min(Math.max(v, p), q);
            case HARD_SIGMOID -> Math.min(1f, Math.max(0f, v * p + q));
            case HARD_SWISH -> v * Math.min(1f, Math.max(0f, v / 6f + 0.5f));
            case SCALE_SHIFT -> v * p + q;
            case ERF -> (float) Special.erf(v);
        };
    }
}
