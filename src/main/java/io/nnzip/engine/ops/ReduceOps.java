package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.Axes;
import io.nnzip.engine.ops.support.FloatReduce;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Reduce* ops and ArgMax/ArgMin. Axes come from the attribute (older opsets) or from input 1 (ReduceSum from opset
 * 13, the others from 18); no axes means all of them unless noop_with_empty_axes=1. Accumulation is in double.
 */
public final class ReduceOps {
    enum Kind { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE }

    private ReduceOps() {}

    public static void register() {
        reduce("ReduceSum", Kind.SUM);
        reduce("ReduceMean", Kind.MEAN);
        reduce("ReduceMax", Kind.MAX);
        reduce("ReduceMin", Kind.MIN);
        reduce("ReduceProd", Kind.PROD);
        reduce("ReduceL1", Kind.L1);
        reduce("ReduceL2", Kind.L2);
        reduce("ReduceLogSum", Kind.LOG_SUM);
        reduce("ReduceLogSumExp", Kind.LOG_SUM_EXP);
        reduce("ReduceSumSquare", Kind.SUM_SQUARE);
        OpRegistry.register("ArgMax", (n, in, c) -> new Tensor[] {arg(n, in[0], true)}, ReduceOps::argRule);
        OpRegistry.register("ArgMin", (n, in, c) -> new Tensor[] {arg(n, in[0], false)}, ReduceOps::argRule);
    }

    private static void reduce(String type, Kind kind) {
        OpRegistry.register(type, (n, in, c) -> new Tensor[] {reduce(n, in, kind, c)}, ReduceOps::rule);
    }

    /** Which dims are reduced, or null for "none" (noop_with_empty_axes=1 with no axes). */
    private static boolean[] reducedDims(Node n, long[] axes, int rank) {
        if (axes == null || axes.length == 0) {
            if (n.attrInt("noop_with_empty_axes", 0) == 1) return null;
            boolean[] all = new boolean[rank];
            java.util.Arrays.fill(all, true);
            return all;
        }
        return Axes.mask(Axes.normalize(n, axes, rank), rank);
    }

    private static int[] outShape(int[] s, boolean[] red, boolean keep) {
        int k = 0;
        for (int i = 0; i < s.length; i++) if (!red[i] || keep) k++;
        int[] out = new int[k];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (red[i] && keep) out[j++] = 1;
            else if (!red[i]) out[j++] = s[i];
        }
        return out;
    }

    // x: (d_i) -> (d_i, or 1 / dropped where reduced)
    private static Tensor reduce(Node n, Tensor[] in, Kind kind, ExecContext ctx) {
        Tensor x = in[0];
        if (x.dtype() == DType.STRING || x.dtype() == DType.BOOL) throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        boolean[] red = reducedDims(n, Axes.of(n, in, "axes", 1), s.length);
        if (red == null) return x;
        boolean keep = n.attrInt("keepdims", 1) == 1;
        Tensor fast = floatFast(x, red, kind, keep, ctx);
        if (fast != null) return fast;
        int[] kept = outShape(s, red, true);
        int[] kst = Shapes.strides(kept), st = new int[s.length];
        for (int i = 0; i < s.length; i++) st[i] = red[i] ? 0 : kst[i];
        int[] target = Index.strided(s, st, 0);
        int m = Shapes.numel(kept);
        double[] v = Values.doubles(x), acc = new double[m];
        double init = switch (kind) {
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        };
        java.util.Arrays.fill(acc, init);
        double[] shift = null;
        if (kind == Kind.LOG_SUM_EXP) {
            shift = new double[m];
            java.util.Arrays.fill(shift, Double.NEGATIVE_INFINITY);
            for (int i = 0; i < v.length; i++) shift[target[i]] = Math.max(shift[target[i]], v[i]);
            for (int j = 0; j < m; j++) if (Double.isInfinite(shift[j])) shift[j] = 0;
        }
        for (int i = 0; i < v.length; i++) {
            int t = target[i];
            double a = v[i];
            acc[t] = switch (kind) {
                case SUM, MEAN, LOG_SUM -> acc[t] + a;
                case MAX -> a > acc[t] || Double.isNaN(a) ? a : acc[t];
                case MIN -> a < acc[t] || Double.isNaN(a) ? a : acc[t];
                case PROD -> acc[t] * a;
                case L1 -> acc[t] + Math.abs(a);
                case L2, SUM_SQUARE -> acc[t] + a * a;
                case LOG_SUM_EXP -> acc[t] + Math.exp(a - shift[t]);
            };
        }
        int count = m == 0 ? 0 : v.length / m;
        for (int j = 0; j < m; j++) {
            acc[j] = switch (kind) {
                case MEAN -> acc[j] / count;
                case L2 -> Math.sqrt(acc[j]);
                case LOG_SUM -> Math.log(acc[j]);
                case LOG_SUM_EXP -> Math.log(acc[j]) + shift[j];
                default -> acc[j];
            };
        }
        return Values.fromDoubles(x.dtype(), keep ? kept : outShape(s, red, false), acc);
    }

    /** Float32 reduction over one contiguous run of axes on the vector path; null when it does not apply. */
    private static Tensor floatFast(Tensor x, boolean[] red, Kind kind, boolean keep, ExecContext ctx) {
        if (x.dtype() != DType.FLOAT || x.size() == 0) return null;
        FloatReduce.Op op = switch (kind) {
            case SUM, MEAN -> FloatReduce.Op.SUM;
            case MAX -> FloatReduce.Op.MAX;
            case MIN -> FloatReduce.Op.MIN;
            case SUM_SQUARE, L2 -> FloatReduce.Op.SUM_SQUARE;
            case L1 -> FloatReduce.Op.L1;
            default -> null;
        };
        int[] s = x.shape();
        int first = -1, last = -1;
        for (int i = 0; i < s.length; i++) {
            if (!red[i] || s[i] == 1) continue;
            if (first < 0) first = i;
            else if (last != i - 1) return null;
            last = i;
        }
        if (op == null || first < 0) return null;
        for (int i = first; i <= last; i++) if (!red[i]) return null;
        int outer = Shapes.product(s, 0, first), len = Shapes.product(s, first, last + 1), inner = Shapes.product(s, last + 1, s.length);
        float[] r = FloatReduce.apply(op, x.floats(), outer, len, inner, ctx.parallel());
        if (kind == Kind.MEAN) for (int i = 0; i < r.length; i++) r[i] /= len;
        if (kind == Kind.L2) for (int i = 0; i < r.length; i++) r[i] = (float) Math.sqrt(r[i]);
        return Tensor.of(r, outShape(s, red, keep));
    }

    private static ValueType[] rule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        long[] axes = n.attrInts("axes", null);
        if (axes == null && Rules.present(in, 1)) {
            axes = Rules.constInts(in, 1);
            if (axes == null) return Rules.one(in[0].dtype(), null);
        }
        if (s == null) return Rules.one(in[0].dtype(), null);
        boolean[] red = reducedDims(n, axes, s.length);
        if (red == null) return Rules.one(in[0].dtype(), s);
        return Rules.one(in[0].dtype(), outShape(s, red, n.attrInt("keepdims", 1) == 1));
    }

    // x: (a.., d, b..) -> int64 (a.., 1, b..) or (a.., b..)
    private static Tensor arg(Node n, Tensor x, boolean max) {
        if (x.dtype() == DType.STRING || x.dtype() == DType.BOOL) throw new UnsupportedOpException(n.opType() + " on " + x.dtype().lower());
        int[] s = x.shape();
        int axis = Shapes.axis((int) n.attrInt("axis", 0), s.length, n.opType());
        boolean last = n.attrInt("select_last_index", 0) == 1;
        int outer = Shapes.product(s, 0, axis), d = s[axis], inner = Shapes.product(s, axis + 1, s.length);
        double[] v = Values.doubles(x);
        long[] r = new long[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * d * inner + i, best = 0;
                double bv = v[base];
                for (int k = 1; k < d; k++) {
                    double c = v[base + k * inner];
                    boolean better = max ? (c > bv || (last && c == bv)) : (c < bv || (last && c == bv));
                    if (better) {
                        bv = c;
                        best = k;
                    }
                }
                r[o * inner + i] = best;
            }
        boolean[] red = new boolean[s.length];
        red[axis] = true;
        return Tensor.ofLongs(r, outShape(s, red, n.attrInt("keepdims", 1) == 1));
    }

    private static ValueType[] argRule(Node n, ValueType[] in, int opset) {
        int[] s = in[0].shape();
        if (s == null) return Rules.one(DType.INT64, null);
        boolean[] red = new boolean[s.length];
        red[Shapes.axis((int) n.attrInt("axis", 0), s.length, n.opType())] = true;
        return Rules.one(DType.INT64, outShape(s, red, n.attrInt("keepdims", 1) == 1));
    }
}
