package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.ops.support.FloatUnary;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Normalizations: BatchNormalization (inference, and training with batch statistics), InstanceNormalization,
 * LayerNormalization ({@link LayerNormOps}), LRN and MeanVarianceNormalization. Statistics accumulate in double;
 * the float32 apply step is a vectorized scale-and-shift per (n, c) plane.
 */
public final class NormOps {
    private NormOps() {}

    public static void register() {
        OpRegistry.register("BatchNormalization", NormOps::batchNorm, NormOps::batchNormRule);
        OpRegistry.register("InstanceNormalization", NormOps::instanceNorm, Rules.SAME);
        OpRegistry.register("LRN", NormOps::lrn, Rules.SAME);
        OpRegistry.register("GroupNormalization", NormOps::groupNorm, Rules.SAME);
        OpRegistry.register("MeanVarianceNormalization", NormOps::mvn, Rules.SAME);
        LayerNormOps.register();
    }

    private static boolean training(Node n, ExecContext ctx) {
        if (ctx.opset() < 7 && n.attrInt("is_test", 0) == 1) return false;
        return n.attrInt("training_mode", 0) == 1 || ctx.training();
    }

    // x: (N,C,D..), scale, bias, mean, var: (C) -> y: (N,C,D..) [, running mean, running var: (C)]
    private static Tensor[] batchNorm(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("BatchNormalization on " + x.dtype().lower());
        if (n.attrInt("spatial", 1) != 1) throw new UnsupportedOpException("BatchNormalization spatial=0");
        int[] s = x.shape();
        int N = s[0], C = s.length > 1 ? s[1] : 1, plane = Shapes.product(s, 2, s.length);
        double eps = n.attrFloat("epsilon", 1e-5f), momentum = n.attrFloat("momentum", 0.9f);
        double[] scale = Values.doubles(in[1]), bias = Values.doubles(in[2]), mean = Values.doubles(in[3]), var = Values.doubles(in[4]);
        for (Tensor p : new Tensor[] {in[1], in[2], in[3], in[4]})
            if (p.size() != C) throw new NnzipException("BatchNormalization: parameter of shape " + Shapes.str(p.shape()) + " for " + C + " channels of " + Shapes.str(s));
        boolean train = training(n, ctx);
        double[] useMean = mean, useVar = var;
        if (train) {
            double[][] st = channelStats(x, N, C, plane);
            useMean = st[0];
            useVar = st[1];
        }
        float[] a = new float[C], b = new float[C];
        for (int c = 0; c < C; c++) {
            double k = scale[c] / Math.sqrt(useVar[c] + eps);
            a[c] = (float) k;
            b[c] = (float) (bias[c] - useMean[c] * k);
        }
        Tensor y = scaleShift(x, N, C, plane, a, b, ctx);
        if (!train) return new Tensor[] {y};
        double[] runMean = new double[C], runVar = new double[C];
        for (int c = 0; c < C; c++) {
            runMean[c] = mean[c] * momentum + useMean[c] * (1 - momentum);
            runVar[c] = var[c] * momentum + useVar[c] * (1 - momentum);
        }
        DType pt = in[3].dtype();
        int[] cs = in[3].shape();
        Tensor rm = Values.fromDoubles(pt, cs, runMean), rv = Values.fromDoubles(pt, cs, runVar);
        if (ctx.opset() >= 14) return new Tensor[] {y, rm, rv};
        // Opsets 9-13: Y, running mean, running var, saved (batch) mean, saved (batch) variance.
        return new Tensor[] {y, rm, rv, Values.fromDoubles(pt, cs, useMean), Values.fromDoubles(pt, cs, useVar)};
    }

    private static ValueType[] batchNormRule(Node n, ValueType[] in, int opset) {
        ValueType[] out = new ValueType[n.outputs().size()];
        out[0] = ValueType.of(in[0].dtype(), in[0].shape());
        for (int i = 1; i < out.length; i++) out[i] = new ValueType(in[3].dtype(), in[3].shape(), null);
        return out;
    }

    /** Per-channel mean and population variance over N and the spatial dims. */
    static double[][] channelStats(Tensor x, int N, int C, int plane) {
        double[] v = Values.doubles(x), mean = new double[C], var = new double[C];
        double count = (double) N * plane;
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int b = 0; b < N; b++) for (int i = 0, o = (b * C + c) * plane; i < plane; i++) sum += v[o + i];
            double m = sum / count, sq = 0;
            for (int b = 0; b < N; b++)
                for (int i = 0, o = (b * C + c) * plane; i < plane; i++) {
                    double d = v[o + i] - m;
                    sq += d * d;
                }
            mean[c] = m;
            var[c] = sq / count;
        }
        return new double[][] {mean, var};
    }

    /** y = x * a[c] + b[c] over each (n, c) plane. */
    static Tensor scaleShift(Tensor x, int N, int C, int plane, float[] a, float[] b, ExecContext ctx) {
        int[] s = x.shape();
        if (x.dtype() == DType.FLOAT) {
            float[] xs = x.floats(), ys = new float[xs.length];
            ctx.parallel().forRange(N * C, Math.max(1, 16384 / Math.max(1, plane)), (lo, hi) -> {
                for (int p = lo; p < hi; p++) {
                    int c = p % C;
                    FloatUnary.run(FloatUnary.Op.SCALE_SHIFT, xs, ys, p * plane, (p + 1) * plane, a[c], b[c]);
                }
            });
            return Tensor.of(ys, s);
        }
        double[] v = Values.doubles(x), r = new double[v.length];
        for (int p = 0; p < N * C; p++) for (int i = p * plane; i < (p + 1) * plane; i++) r[i] = v[i] * a[p % C] + b[p % C];
        return Values.fromDoubles(x.dtype(), s, r);
    }

    // x: (N,C,D..), scale, bias: (C) -> (N,C,D..), statistics per (n, c)
    private static Tensor[] instanceNorm(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("InstanceNormalization on " + x.dtype().lower());
        int[] s = x.shape();
        int N = s[0], C = s[1], plane = Shapes.product(s, 2, s.length);
        double eps = n.attrFloat("epsilon", 1e-5f);
        // rows of transformer widths (a LayerNorm folded into its readers) on the vectorized LayerNorm rows, channel
        // scale and shift after it when they are not 1 and 0; long image planes keep double statistics
        if (x.dtype() == DType.FLOAT && in[1].dtype() == DType.FLOAT && in[2].dtype() == DType.FLOAT && plane <= 4096) {
            float[] ones = new float[plane], y = ctx.floats(N * C * plane), a = in[1].floats(), b = in[2].floats();
            java.util.Arrays.fill(ones, 1f);
            io.nnzip.engine.kernels.LayerNormForward.run(x.floats(), ones, null, N * C, plane, (float) eps, y, null, null, ctx.parallel());
            Tensor t = Tensor.of(y, s);
            for (int c = 0; c < C; c++) if (a[c] != 1f || b[c] != 0f) return new Tensor[] {scaleShift(t, N, C, plane, a, b, ctx)};
            return new Tensor[] {t};
        }
        double[] v = Values.doubles(x), scale = Values.doubles(in[1]), bias = Values.doubles(in[2]), r = new double[v.length];
        for (int p = 0; p < N * C; p++) {
            int o = p * plane, c = p % C;
            double sum = 0, sq = 0;
            for (int i = 0; i < plane; i++) sum += v[o + i];
            double m = sum / plane;
            for (int i = 0; i < plane; i++) sq += (v[o + i] - m) * (v[o + i] - m);
            double k = scale[c] / Math.sqrt(sq / plane + eps);
            for (int i = 0; i < plane; i++) r[o + i] = (v[o + i] - m) * k + bias[c];
        }
        return new Tensor[] {Values.fromDoubles(x.dtype(), s, r)};
    }

    /**
     * x: (N,C,D..), scale, bias: (G) as in opset 18 or (C) as in opset 21 -> (N,C,D..); statistics per (n, group)
     * over the group's C/G channels and all spatial positions.
     */
    private static Tensor[] groupNorm(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("GroupNormalization on " + x.dtype().lower());
        int[] s = x.shape();
        int N = s[0], C = s[1], G = (int) n.attrInt("num_groups", 0), plane = Shapes.product(s, 2, s.length);
        if (G <= 0 || C % G != 0) throw new NnzipException("GroupNormalization: " + C + " channels do not split into num_groups=" + G);
        double eps = n.attrFloat("epsilon", 1e-5f);
        double[] v = Values.doubles(x), scale = Values.doubles(in[1]), bias = Values.doubles(in[2]), r = new double[v.length];
        boolean perChannel = scale.length == C && C != G;
        if (!perChannel && scale.length != G) throw new NnzipException("GroupNormalization: scale has " + scale.length + " values for " + G + " groups of " + C + " channels");
        int len = C / G * plane;
        for (int b = 0; b < N; b++)
            for (int g = 0; g < G; g++) {
                int o = (b * C + g * (C / G)) * plane;
                double sum = 0, sq = 0;
                for (int i = 0; i < len; i++) sum += v[o + i];
                double m = sum / len;
                for (int i = 0; i < len; i++) sq += (v[o + i] - m) * (v[o + i] - m);
                double inv = 1 / Math.sqrt(sq / len + eps);
                for (int i = 0; i < len; i++) {
                    int p = perChannel ? g * (C / G) + i / plane : g;
                    r[o + i] = (v[o + i] - m) * inv * scale[p] + bias[p];
                }
            }
        return new Tensor[] {Values.fromDoubles(x.dtype(), s, r)};
    }

    // x: (N,C,D..) -> same; each value divided by a power of its local sum of squares across channels
    private static Tensor[] lrn(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("LRN on " + x.dtype().lower());
        int size = (int) n.attrInt("size", 0);
        if (size <= 0) throw new NnzipException("LRN: size must be positive");
        double alpha = n.attrFloat("alpha", 1e-4f), beta = n.attrFloat("beta", 0.75f), bias = n.attrFloat("bias", 1f);
        int[] s = x.shape();
        int N = s[0], C = s[1], plane = Shapes.product(s, 2, s.length);
        int lo = (size - 1) / 2, hi = size - 1 - lo;
        double[] v = Values.doubles(x), r = new double[v.length];
        for (int b = 0; b < N; b++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < plane; i++) {
                    double sq = 0;
                    for (int k = Math.max(0, c - lo); k <= Math.min(C - 1, c + hi); k++) {
                        double e = v[(b * C + k) * plane + i];
                        sq += e * e;
                    }
                    int at = (b * C + c) * plane + i;
                    r[at] = v[at] / Math.pow(bias + alpha / size * sq, beta);
                }
        return new Tensor[] {Values.fromDoubles(x.dtype(), s, r)};
    }

    // x: any shape -> same; zero mean, unit variance over the axes (default 0, 2, 3)
    private static Tensor[] mvn(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (!x.dtype().isFloating()) throw new UnsupportedOpException("MeanVarianceNormalization on " + x.dtype().lower());
        int[] s = x.shape();
        long[] axes = n.attrInts("axes", new long[] {0, 2, 3});
        boolean[] red = io.nnzip.engine.ops.support.Axes.mask(io.nnzip.engine.ops.support.Axes.normalize(n, axes, s.length), s.length);
        int[] kept = s.clone(), kst;
        for (int i = 0; i < s.length; i++) if (red[i]) kept[i] = 1;
        kst = Shapes.strides(kept);
        int[] st = new int[s.length];
        for (int i = 0; i < s.length; i++) st[i] = red[i] ? 0 : kst[i];
        int[] target = Index.strided(s, st, 0);
        int m = Shapes.numel(kept);
        double[] v = Values.doubles(x), mean = new double[m], var = new double[m], r = new double[v.length];
        double count = (double) v.length / m;
        for (int i = 0; i < v.length; i++) mean[target[i]] += v[i] / count;
        for (int i = 0; i < v.length; i++) var[target[i]] += (v[i] - mean[target[i]]) * (v[i] - mean[target[i]]) / count;
        for (int i = 0; i < v.length; i++) r[i] = (v[i] - mean[target[i]]) / (Math.sqrt(var[target[i]]) + 1e-9);
        return new Tensor[] {Values.fromDoubles(x.dtype(), s, r)};
    }
}
