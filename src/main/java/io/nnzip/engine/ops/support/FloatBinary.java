package io.nnzip.engine.ops.support;

import io.nnzip.engine.Parallel;
import io.nnzip.ir.Shapes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 binary elementwise with numpy broadcasting. Trailing dims are collapsed into one inner run in which each
 * operand is either contiguous or a repeated scalar, so same-shape, scalar and per-channel broadcasts
 * ((N,C,H,W) op (C,1,1)) all become vector loops over long runs. Work is split over (row, chunk) units.
 */
public final class FloatBinary {
    public enum Op { ADD, SUB, MUL, DIV, MAX, MIN, POW }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 1 << 13;
    private static final int PARALLEL_MIN = 1 << 15;

    private FloatBinary() {}

    // a: shape sa, b: shape sb -> out: broadcast(sa, sb)
    public static float[] apply(Op op, float[] a, int[] sa, float[] b, int[] sb, int[] out, Parallel par) {
        return apply(op, a, sa, b, sb, out, par, new float[Shapes.numel(out)]);
    }

    /** As above into {@code o} (numel(out) floats, every one overwritten). */
    public static float[] apply(Op op, float[] a, int[] sa, float[] b, int[] sb, int[] out, Parallel par, float[] o) {
        int n = Shapes.numel(out);
        if (n == 0) return o;
        int r = out.length;
        int[] stA = Index.broadcastStrides(sa, out), stB = Index.broadcastStrides(sb, out);
        // Collapse trailing dims while each operand keeps one kind (contiguous or constant) over the run.
        int last = r - 1;
        while (last >= 0 && out[last] == 1) last--;
        boolean contA = last >= 0 && stA[last] != 0, contB = last >= 0 && stB[last] != 0;
        int inner = 1, d = r - 1;
        for (; d >= 0; d--) {
            if (out[d] == 1) continue;
            boolean okA = contA ? stA[d] == inner : stA[d] == 0, okB = contB ? stB[d] == inner : stB[d] == 0;
            if (!okA || !okB) break;
            inner *= out[d];
        }
        int[] outer = java.util.Arrays.copyOf(out, d + 1);
        int[] offA = Index.strided(outer, java.util.Arrays.copyOf(stA, d + 1), 0);
        int[] offB = Index.strided(outer, java.util.Arrays.copyOf(stB, d + 1), 0);
        int rows = offA.length, chunks = (inner + CHUNK - 1) / CHUNK, len = inner;
        boolean ca = contA, cb = contB;
        Parallel.Range body = (lo, hi) -> {
            for (int u = lo; u < hi; u++) {
                int row = u / chunks, c0 = (u % chunks) * CHUNK, m = Math.min(CHUNK, len - c0);
                int oa = offA[row] + (ca ? c0 : 0), ob = offB[row] + (cb ? c0 : 0), oo = row * len + c0;
                if (ca && cb) vv(op, a, oa, b, ob, o, oo, m);
                else if (ca) vs(op, a, oa, b[ob], o, oo, m);
                else if (cb) sv(op, a[oa], b, ob, o, oo, m);
                else java.util.Arrays.fill(o, oo, oo + m, scalar(op, a[oa], b[ob]));
            }
        };
        int units = rows * chunks;
        if (n >= PARALLEL_MIN && par != null) par.forRange(units, 1, body);
        else body.run(0, units);
        return o;
    }

    public static float scalar(Op op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
            case POW -> (float) Math.pow(x, y);
        };
    }

    private static void vv(Op op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0, L = S.length(), end = S.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case SUB -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MUL -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case DIV -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MAX -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MIN -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.MIN, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case POW -> { }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], b[bo + i]);
    }

    private static void vs(Op op, float[] a, int ao, float y, float[] o, int oo, int n) {
        int i = 0, L = S.length(), end = S.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).add(y).intoArray(o, oo + i); }
            case SUB -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).sub(y).intoArray(o, oo + i); }
            case MUL -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).mul(y).intoArray(o, oo + i); }
            case DIV -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).div(y).intoArray(o, oo + i); }
            case MAX -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.MAX, y).intoArray(o, oo + i); }
            case MIN -> { for (; i < end; i += L) FloatVector.fromArray(S, a, ao + i).lanewise(VectorOperators.MIN, y).intoArray(o, oo + i); }
            case POW -> { }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, a[ao + i], y);
    }

    private static void sv(Op op, float x, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0, L = S.length(), end = S.loopBound(n);
        FloatVector xv = FloatVector.broadcast(S, x);
        switch (op) {
            case ADD -> { for (; i < end; i += L) xv.add(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case SUB -> { for (; i < end; i += L) xv.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MUL -> { for (; i < end; i += L) xv.mul(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case DIV -> { for (; i < end; i += L) xv.div(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MAX -> { for (; i < end; i += L) xv.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case MIN -> { for (; i < end; i += L) xv.lanewise(VectorOperators.MIN, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i); }
            case POW -> { }
        }
        for (; i < n; i++) o[oo + i] = scalar(op, x, b[bo + i]);
    }
}
