package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.kernels.LaneMath;
import io.nnzip.engine.kernels.LaneSum;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at {@code axis} (default 1) and the
 * op runs over each row of the flattened trailing dims; from opset 13 it runs along the single dim {@code axis}
 * (default -1). Both are a view (outer, n, inner) of the data: the old form is (prod(d[:axis]), prod(d[axis:]), 1).
 */
final class SoftmaxOps {
    private enum Kind { SOFTMAX, LOG_SOFTMAX, HARDMAX }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private SoftmaxOps() {}

    static void register() {
        OpRegistry.register("Softmax", (n, in, c) -> run(n, in[0], c, Kind.SOFTMAX), Rules.SAME);
        OpRegistry.register("LogSoftmax", (n, in, c) -> run(n, in[0], c, Kind.LOG_SOFTMAX), Rules.SAME);
        OpRegistry.register("Hardmax", (n, in, c) -> run(n, in[0], c, Kind.HARDMAX), Rules.SAME);
    }

    // x: (outer, n, inner) view -> y: same shape
    private static Tensor[] run(Node node, Tensor x, ExecContext ctx, Kind kind) {
        if (!x.dtype().isFloating()) throw new UnsupportedOpException(node.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        boolean old = ctx.opset() < 13;
        int r = s.length;
        int axis = r == 0 ? 0 : Shapes.axis((int) node.attrInt("axis", old ? 1 : -1), r, node.describe());
        int outer = Shapes.product(s, 0, axis);
        int n = old ? Shapes.product(s, axis, r) : (r == 0 ? 1 : s[axis]);
        int inner = old ? 1 : Shapes.product(s, axis + 1, r);
        float[] in = x.toFloats();
        float[] out = new float[in.length];
        if (in.length == 0) return new Tensor[] {x};
        int rows = outer * inner;
        ctx.parallel().forRange(rows, Math.max(1, 4096 / Math.max(1, n)), (lo, hi) -> {
            for (int row = lo; row < hi; row++) {
                int base = (row / inner) * n * inner + row % inner;
                if (inner == 1 && kind != Kind.HARDMAX) contiguous(in, out, base, n, kind);
                else strided(in, out, base, n, inner, kind);
            }
        });
        Tensor y = Tensor.of(out, s);
        return new Tensor[] {x.dtype() == DType.FLOAT ? y : Values.fromDoubles(x.dtype(), s, Values.doubles(y))};
    }

    private static void contiguous(float[] x, float[] y, int off, int n, Kind kind) {
        int L = S.length(), end = S.loopBound(n), i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (end > 0) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < end; i += L) m = m.max(FloatVector.fromArray(S, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector mv = FloatVector.broadcast(S, max), acc = FloatVector.zero(S);
        i = 0;
        for (; i < end; i += L) {
            FloatVector e = LaneMath.exp(FloatVector.fromArray(S, x, off + i).sub(mv));
            e.intoArray(y, off + i);
            acc = acc.add(e);
        }
        double sum = LaneSum.of(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            y[off + i] = e;
            sum += e;
        }
        if (kind == Kind.SOFTMAX) {
            float inv = (float) (1 / sum);
            i = 0;
            for (; i < end; i += L) FloatVector.fromArray(S, y, off + i).mul(inv).intoArray(y, off + i);
            for (; i < n; i++) y[off + i] *= inv;
        } else {
            float shift = (float) (max + Math.log(sum));
            for (i = 0; i < n; i++) y[off + i] = x[off + i] - shift;
        }
    }

    private static void strided(float[] x, float[] y, int off, int n, int step, Kind kind) {
        float max = Float.NEGATIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < n; i++) {
            float v = x[off + i * step];
            if (v > max) {
                max = v;
                arg = i;
            }
        }
        if (kind == Kind.HARDMAX) {
            for (int i = 0; i < n; i++) y[off + i * step] = i == arg ? 1f : 0f;
            return;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[off + i * step] - max);
        double shift = max + Math.log(sum);
        for (int i = 0; i < n; i++) {
            double v = x[off + i * step] - shift;
            y[off + i * step] = (float) (kind == Kind.SOFTMAX ? Math.exp(v) : v);
        }
    }
}
