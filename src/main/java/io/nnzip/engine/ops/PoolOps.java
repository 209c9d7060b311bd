package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.PoolGeometry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Window pooling (MaxPool with optional Indices, AveragePool, LpPool) over 1-3 spatial dims, and the global
 * pools ({@link GlobalPoolOps}). Kernels compute in float32, one (n, c) plane per task.
 */
public final class PoolOps {
    enum Kind { MAX, AVG, LP }

    private PoolOps() {}

    public static void register() {
        OpRegistry.register("MaxPool", (n, in, c) -> pool(n, in[0], Kind.MAX, c), PoolOps::rule);
        OpRegistry.register("AveragePool", (n, in, c) -> pool(n, in[0], Kind.AVG, c), PoolOps::rule);
        OpRegistry.register("LpPool", (n, in, c) -> pool(n, in[0], Kind.LP, c), PoolOps::rule);
        GlobalPoolOps.register();
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        ValueType[] out = new ValueType[n.outputs().size()];
        if (s == null || !in[0].isConcrete()) {
            int[] o = s == null ? null : Rules.unknownDims(s.length);
            if (o != null) {
                o[0] = s[0];
                o[1] = s[1];
            }
            out[0] = ValueType.of(in[0].dtype(), o);
            if (out.length > 1) out[1] = ValueType.of(DType.INT64, o);
            return out;
        }
        PoolGeometry g = PoolGeometry.of(n, java.util.Arrays.copyOfRange(s, 2, s.length));
        int[] o = shape(s, g);
        out[0] = ValueType.of(in[0].dtype(), o);
        if (out.length > 1) out[1] = ValueType.of(DType.INT64, o);
        return out;
    }

    private static int[] shape(int[] s, PoolGeometry g) {
        int[] o = new int[s.length];
        o[0] = s[0];
        o[1] = s[1];
        System.arraycopy(g.outDims(), 0, o, 2, g.spatial);
        return o;
    }

    // x: (N,C,D..) -> y: (N,C,O..) [, indices: int64 (N,C,O..) flat positions in x]
    private static Tensor[] pool(Node n, Tensor x, Kind kind, ExecContext ctx) {
        if (!x.dtype().isFloating() && !(kind == Kind.MAX && (x.dtype() == DType.INT8 || x.dtype() == DType.UINT8)))
            throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        if (s.length < 3) throw new NnzipException(n.opType() + ": input must be (N,C,spatial..), got " + Shapes.str(s));
        PoolGeometry g = PoolGeometry.of(n, java.util.Arrays.copyOfRange(s, 2, s.length));
        int planes = s[0] * s[1], ip = g.inPlane(), op = g.outPlane();
        boolean wantIdx = n.outputs().size() > 1 && !n.output(1).isEmpty();
        if (wantIdx && kind != Kind.MAX) throw new NnzipException(n.opType() + " has one output");
        boolean colMajor = n.attrInt("storage_order", 0) == 1;
        boolean includePad = n.attrInt("count_include_pad", 0) == 1;
        double p = n.attrInt("p", 2);
        float[] xs = x.toFloats(), ys = new float[planes * op];
        long[] idx = wantIdx ? new long[ys.length] : null;
        ctx.parallel().forRange(planes, Math.max(1, 4096 / Math.max(1, op)), (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) plane(g, kind, xs, pl * ip, ys, pl * op, idx, pl, colMajor, includePad, p);
        });
        int[] os = shape(s, g);
        Tensor y = x.dtype() == DType.FLOAT ? Tensor.of(ys, os) : Values.fromDoubles(x.dtype(), os, toDoubles(ys));
        return wantIdx ? new Tensor[] {y, Tensor.ofLongs(idx, os)} : new Tensor[] {y};
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    // one (n, c) plane: x (D,H,W) at xo -> y (OD,OH,OW) at yo
    private static void plane(PoolGeometry g, Kind kind, float[] x, int xo, float[] y, int yo, long[] idx, int pl,
                              boolean colMajor, boolean includePad, double p) {
        int D = g.in[0], H = g.in[1], W = g.in[2];
        int at = yo;
        for (int od = 0; od < g.out[0]; od++)
            for (int oh = 0; oh < g.out[1]; oh++)
                for (int ow = 0; ow < g.out[2]; ow++, at++) {
                    int d0 = od * g.stride[0] - g.padBegin[0], h0 = oh * g.stride[1] - g.padBegin[1], w0 = ow * g.stride[2] - g.padBegin[2];
                    double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
                    int best = -1, valid = 0, padded = 0;
                    for (int kd = 0; kd < g.k[0]; kd++) {
                        int d = d0 + kd * g.dil[0];
                        for (int kh = 0; kh < g.k[1]; kh++) {
                            int h = h0 + kh * g.dil[1];
                            for (int kw = 0; kw < g.k[2]; kw++) {
                                int w = w0 + kw * g.dil[2];
                                boolean inside = d >= 0 && d < D && h >= 0 && h < H && w >= 0 && w < W;
                                if (!inside) {
                                    if (d >= -g.padBegin[0] && d < D + g.padEnd[0] && h >= -g.padBegin[1] && h < H + g.padEnd[1]
                                            && w >= -g.padBegin[2] && w < W + g.padEnd[2]) padded++;
                                    continue;
                                }
                                int off = (d * H + h) * W + w;
                                float v = x[xo + off];
                                valid++;
                                switch (kind) {
                                    case MAX -> {
                                        if (v > acc || best < 0) {
                                            acc = v;
                                            best = colMajor ? (w * H + h) * D + d : off;
                                        }
                                    }
                                    case AVG -> acc += v;
                                    case LP -> acc += Math.pow(Math.abs(v), p);
                                }
                            }
                        }
                    }
                    y[at] = switch (kind) {
                        case MAX -> (float) acc;
                        case AVG -> (float) (acc / (includePad ? valid + padded : valid));
                        case LP -> (float) Math.pow(acc, 1 / p);
                    };
                    if (idx != null) idx[at] = (long) pl * g.inPlane() + best;
                }
    }
}
