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
        Windows win = Windows.of(g);
        boolean vector = kind == Kind.MAX && !wantIdx && x.dtype() == DType.FLOAT && g.dil[2] == 1 && (g.stride[2] == 1 || g.stride[2] == 2);
        ctx.parallel().forRange(planes, Math.max(1, 4096 / Math.max(1, op)), (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) plane(g, win, kind, xs, pl * ip, ys, pl * op, idx, pl, colMajor, includePad, p, vector);
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

    /**
     * Per axis and output coordinate: the first and last+1 valid input positions of the window (stepping by the
     * dilation) and how many window positions fall inside the padded extent (for count_include_pad).
     */
    private record Windows(int[][] lo, int[][] hi, int[][] padded) {
        static Windows of(PoolGeometry g) {
            int[][] lo = new int[3][], hi = new int[3][], padded = new int[3][];
            for (int a = 0; a < 3; a++) {
                int n = g.out[a], k = g.k[a], s = g.stride[a], d = g.dil[a], in = g.in[a], pb = g.padBegin[a], pe = g.padEnd[a];
                lo[a] = new int[n];
                hi[a] = new int[n];
                padded[a] = new int[n];
                for (int o = 0; o < n; o++) {
                    int start = o * s - pb, first = -1, last = -2, cnt = 0;
                    for (int t = 0; t < k; t++) {
                        int p = start + t * d;
                        if (p >= -pb && p < in + pe) cnt++;
                        if (p >= 0 && p < in) {
                            if (first < 0) first = p;
                            last = p;
                        }
                    }
                    lo[a][o] = first < 0 ? 0 : first;
                    hi[a][o] = first < 0 ? 0 : last + 1;
                    padded[a][o] = cnt;
                }
            }
            return new Windows(lo, hi, padded);
        }
    }

    // one (n, c) plane: x (D,H,W) at xo -> y (OD,OH,OW) at yo
    private static void plane(PoolGeometry g, Windows win, Kind kind, float[] x, int xo, float[] y, int yo, long[] idx, int pl,
                              boolean colMajor, boolean includePad, double p, boolean vector) {
        int D = g.in[0], H = g.in[1], W = g.in[2], dd = g.dil[0], dh = g.dil[1], dw = g.dil[2];
        int at = yo;
        for (int od = 0; od < g.out[0]; od++) {
            int d0 = win.lo()[0][od], d1 = win.hi()[0][od];
            for (int oh = 0; oh < g.out[1]; oh++) {
                int h0 = win.lo()[1][oh], h1 = win.hi()[1][oh];
                int vecLo = 0, vecHi = 0;
                if (vector) {
                    int[] span = MaxPoolVector.row(g, x, xo, y, at, d0, d1, h0, h1);
                    vecLo = span[0];
                    vecHi = span[1];
                }
                for (int ow = 0; ow < g.out[2]; ow++, at++) {
                    if (ow >= vecLo && ow < vecHi) continue;
                    int w0 = win.lo()[2][ow], w1 = win.hi()[2][ow];
                    if (kind == Kind.MAX && idx == null) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int d = d0; d < d1; d += dd)
                            for (int h = h0; h < h1; h += dh) {
                                int row = xo + (d * H + h) * W;
                                for (int w = w0; w < w1; w += dw) m = Math.max(m, x[row + w]);
                            }
                        y[at] = m;
                        continue;
                    }
                    double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
                    int best = -1, valid = 0;
                    for (int d = d0; d < d1; d += dd)
                        for (int h = h0; h < h1; h += dh)
                            for (int w = w0; w < w1; w += dw) {
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
                    int count = includePad ? win.padded()[0][od] * win.padded()[1][oh] * win.padded()[2][ow] : valid;
                    y[at] = switch (kind) {
                        case MAX -> (float) acc;
                        case AVG -> (float) (acc / count);
                        case LP -> (float) Math.pow(acc, 1 / p);
                    };
                    if (idx != null) idx[at] = (long) pl * g.inPlane() + best;
                }
            }
        }
    }
}
