package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Kernel;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.kernels.BiasGelu;
import io.nnzip.engine.ops.support.FloatUnary;
import io.nnzip.engine.ops.support.Generic;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Special;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

/**
 * Activations, x: any shape -> y: same shape. Float32 runs the vectorized {@link FloatUnary} loops where an op has
 * one; other floating types compute in double. Softmax-like ops live in {@link SoftmaxOps}, registered here.
 */
public final class ActivationOps {
    private ActivationOps() {}

    public static void register() {
        vec("Relu", n -> FloatUnary.Op.RELU, n -> 0f, n -> 0f, n -> x -> x > 0 || Double.isNaN(x) ? x : 0);
        vec("LeakyRelu", n -> FloatUnary.Op.LEAKY_RELU, n -> n.attrFloat("alpha", 0.01f), n -> 0f, n -> {
            double a = n.attrFloat("alpha", 0.01f);
            return x -> x < 0 ? a * x : x;
        });
        vec("Sigmoid", n -> FloatUnary.Op.SIGMOID, n -> 0f, n -> 0f, n -> x -> 1 / (1 + Math.exp(-x)));
        vec("Tanh", n -> FloatUnary.Op.TANH, n -> 0f, n -> 0f, n -> Math::tanh);
        vec("HardSigmoid", n -> FloatUnary.Op.HARD_SIGMOID, n -> n.attrFloat("alpha", 0.2f), n -> n.attrFloat("beta", 0.5f), n -> {
            double a = n.attrFloat("alpha", 0.2f), b = n.attrFloat("beta", 0.5f);
            return x -> Math.max(0, Math.min(1, a * x + b));
        });
        vec("HardSwish", n -> FloatUnary.Op.HARD_SWISH, n -> 0f, n -> 0f, n -> x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)));
        map("Elu", n -> {
            double a = n.attrFloat("alpha", 1f);
            return x -> x < 0 ? a * (Math.exp(x) - 1) : x;
        });
        map("Selu", n -> {
            double a = n.attrFloat("alpha", 1.67326319217681884765625f), g = n.attrFloat("gamma", 1.05070102214813232421875f);
            return x -> x <= 0 ? g * (a * Math.exp(x) - a) : g * x;
        });
        map("Celu", n -> {
            double a = n.attrFloat("alpha", 1f);
            return x -> Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1));
        });
        map("ThresholdedRelu", n -> {
            double a = n.attrFloat("alpha", 1f);
            return x -> x > a ? x : 0;
        });
        map("Softplus", n -> ActivationOps::softplus);
        map("Softsign", n -> x -> x / (1 + Math.abs(x)));
        map("Mish", n -> x -> x * Math.tanh(softplus(x)));
        map("Shrink", n -> {
            double l = n.attrFloat("lambd", 0.5f), b = n.attrFloat("bias", 0f);
            return x -> x < -l ? x + b : x > l ? x - b : 0;
        });
        // the exact (erf) form in float32 is vectorized: it is every transformer MLP's activation
        Kernel geluScalar = mapped("Gelu", n -> switch (n.attrString("approximate", "none")) {
            case "none" -> x -> 0.5 * x * (1 + Special.erf(x / Math.sqrt(2)));
            case "tanh" -> x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            default -> throw new UnsupportedOpException("Gelu approximate=" + n.attrString("approximate", ""));
        });
        OpRegistry.register("Gelu", (n, in, ctx) -> in[0].dtype() == DType.FLOAT && n.attrString("approximate", "none").equals("none")
                ? new Tensor[] {Tensor.of(BiasGelu.gelu(in[0].floats(), ctx.floats(in[0].size()), ctx.parallel()), in[0].shape())} : geluScalar.run(n, in, ctx), Rules.SAME);
        FastGeluOp.register();
        OpRegistry.register("PRelu", ActivationOps::prelu, Rules.SAME);
        OpRegistry.register("Clip", ActivationOps::clip, Rules.SAME);
        SoftmaxOps.register();
    }

    static double softplus(double x) { return x > 30 ? x : Math.log1p(Math.exp(x)); }

    /** An activation with a vectorized float32 loop; {@code p}/{@code q} extract its parameters from the node. */
    private static void vec(String type, Function<Node, FloatUnary.Op> op, Function<Node, Float> p, Function<Node, Float> q, Function<Node, DoubleUnaryOperator> d) {
        OpRegistry.register(type, (n, in, ctx) -> {
            Tensor x = in[0];
            if (x.dtype() == DType.FLOAT) return new Tensor[] {Tensor.of(FloatUnary.apply(op.apply(n), x.floats(), p.apply(n), q.apply(n), ctx.parallel()), x.shape())};
            if (type.equals("Relu") && x.dtype().isInteger()) return new Tensor[] {Generic.unary(type, x, null, v -> Math.max(v, 0))};
            return new Tensor[] {floatMap(type, x, d.apply(n))};
        }, Rules.SAME);
    }

    private static void map(String type, Function<Node, DoubleUnaryOperator> d) { OpRegistry.register(type, mapped(type, d), Rules.SAME); }

    private static Kernel mapped(String type, Function<Node, DoubleUnaryOperator> d) {
        return (n, in, ctx) -> new Tensor[] {floatMap(type, in[0], d.apply(n))};
    }

    /** Applies {@code f} in double; float32 results are rounded once at the end. */
    static Tensor floatMap(String type, Tensor x, DoubleUnaryOperator f) {
        if (!x.dtype().isFloating()) throw new UnsupportedOpException(type + " on " + x.dtype().lower());
        if (x.dtype() == DType.FLOAT) {
            float[] a = x.floats(), r = new float[a.length];
            for (int i = 0; i < a.length; i++) r[i] = (float) f.applyAsDouble(a[i]);
            return Tensor.of(r, x.shape());
        }
        return Generic.floatOnly(type, x, f);
    }

    // x: any shape, slope: broadcastable to x -> y: x's shape
    private static Tensor[] prelu(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0], s = in[1];
        Generic.sameType("PRelu", x, s);
        if (ctx.opset() < 7 && s.rank() == 1 && x.rank() > 2 && s.size() == x.dim(1) && s.size() != x.dim(-1)) {
            // Opset 6 and older give a per-channel slope as a 1-D (C) tensor.
            int[] cs = new int[x.rank() - 1];
            java.util.Arrays.fill(cs, 1);
            cs[0] = s.size();
            s = s.reshape(cs);
        }
        int[] out = Shapes.broadcast(x.shape(), s.shape());
        if (x.dtype() == DType.FLOAT) {
            int[] ix = Index.broadcastMap(x.shape(), out), is = Index.broadcastMap(s.shape(), out);
            float[] a = x.floats(), b = s.floats(), r = new float[ix.length];
            for (int i = 0; i < r.length; i++) {
                float v = a[ix[i]];
                r[i] = v < 0 ? v * b[is[i]] : v;
            }
            return new Tensor[] {Tensor.of(r, out)};
        }
        return new Tensor[] {Generic.binary("PRelu", x, s, null, (v, k) -> v < 0 ? v * k : v, (v, k) -> v < 0 ? v * k : v)};
    }

    // x: any shape, min/max: scalars (attributes before opset 11, optional inputs since) -> y: x's shape
    private static Tensor[] clip(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        boolean attrs = ctx.opset() < 11 || n.has("min") || n.has("max");
        double lo, hi;
        if (attrs) {
            lo = n.attrFloat("min", Float.NEGATIVE_INFINITY);
            hi = n.attrFloat("max", Float.POSITIVE_INFINITY);
        } else {
            lo = in.length > 1 && in[1] != null ? bound(in[1], x) : Double.NEGATIVE_INFINITY;
            hi = in.length > 2 && in[2] != null ? bound(in[2], x) : Double.POSITIVE_INFINITY;
        }
        if (x.dtype() == DType.FLOAT)
            return new Tensor[] {Tensor.of(FloatUnary.apply(FloatUnary.Op.CLIP, x.floats(), (float) lo, (float) hi, ctx.parallel()), x.shape())};
        if (x.dtype().isFloating()) return new Tensor[] {Generic.floatOnly("Clip", x, v -> Math.min(Math.max(v, lo), hi))};
        if (x.dtype() == DType.BOOL || x.dtype() == DType.STRING) throw new UnsupportedOpException("Clip on " + x.dtype().lower());
        long l = lo == Double.NEGATIVE_INFINITY ? Long.MIN_VALUE : (long) lo, h = hi == Double.POSITIVE_INFINITY ? Long.MAX_VALUE : (long) hi;
        return new Tensor[] {Generic.unary("Clip", x, null, v -> Math.min(Math.max(v, l), h))};
    }

    private static double bound(Tensor b, Tensor x) {
        if (b.dtype() != x.dtype()) throw new NnzipException("Clip bound is " + b.dtype().lower() + ", input is " + x.dtype().lower());
        return Index.scalar(b, 0);
    }
}
