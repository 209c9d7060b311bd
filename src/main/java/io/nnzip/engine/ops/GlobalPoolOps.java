package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.LaneSum;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** GlobalAveragePool, GlobalMaxPool, GlobalLpPool: x (N,C,D..) -> y (N,C,1..), one vector reduction per plane. */
final class GlobalPoolOps {
    private enum Kind { AVG, MAX, LP }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GlobalPoolOps() {}

    static void register() {
        OpRegistry.register("GlobalAveragePool", (n, in, c) -> new Tensor[] {run(n, in[0], Kind.AVG, c)}, GlobalPoolOps::rule);
        OpRegistry.register("GlobalMaxPool", (n, in, c) -> new Tensor[] {run(n, in[0], Kind.MAX, c)}, GlobalPoolOps::rule);
        OpRegistry.register("GlobalLpPool", (n, in, c) -> new Tensor[] {run(n, in[0], Kind.LP, c)}, GlobalPoolOps::rule);
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return new ValueType[] {ValueType.unknown(in[0].dtype())};
        int[] o = s.clone();
        for (int i = 2; i < o.length; i++) o[i] = 1;
        return new ValueType[] {ValueType.of(in[0].dtype(), o)};
    }

    private static Tensor run(Node n, Tensor x, Kind kind, ExecContext ctx) {
        if (!x.dtype().isFloating()) throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        if (s.length < 2) throw new NnzipException(n.opType() + ": input must be (N,C,..), got " + Shapes.str(s));
        int planes = s[0] * s[1], len = Shapes.product(s, 2, s.length);
        double p = n.attrInt("p", 2);
        float[] xs = x.toFloats(), ys = new float[planes];
        ctx.parallel().forRange(planes, Math.max(1, 16384 / Math.max(1, len)), (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) ys[pl] = reduce(xs, pl * len, len, kind, p);
        });
        int[] o = s.clone();
        for (int i = 2; i < o.length; i++) o[i] = 1;
        return x.dtype() == DType.FLOAT ? Tensor.of(ys, o) : Values.fromDoubles(x.dtype(), o, Values.doubles(Tensor.of(ys, o)));
    }

    private static float reduce(float[] x, int off, int n, Kind kind, double p) {
        if (kind == Kind.LP) {
            double acc = 0;
            for (int i = 0; i < n; i++) acc += Math.pow(Math.abs(x[off + i]), p);
            return (float) Math.pow(acc, 1 / p);
        }
        int i = 0, L = S.length(), end = S.loopBound(n);
        boolean max = kind == Kind.MAX;
        FloatVector acc = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : 0f);
        for (; i < end; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            acc = max ? acc.max(v) : acc.add(v);
        }
        double r = max ? acc.reduceLanes(VectorOperators.MAX) : LaneSum.of(acc);
        for (; i < n; i++) r = max ? Math.max(r, x[off + i]) : r + x[off + i];
        return (float) (max ? r : r / n);
    }
}
