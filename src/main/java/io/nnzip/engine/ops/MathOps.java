package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.FloatUnary;
import io.nnzip.engine.ops.support.Generic;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Special;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/** Unary elementwise math (x: any shape -> y: same shape). Registered by {@link ElementwiseOps}. */
final class MathOps {
    private MathOps() {}

    static void register() {
        fast("Sqrt", FloatUnary.Op.SQRT, Math::sqrt);
        fast("Exp", FloatUnary.Op.EXP, Math::exp);
        fast("Log", FloatUnary.Op.LOG, Math::log);
        fast("Reciprocal", FloatUnary.Op.RECIPROCAL, x -> 1 / x);
        signed("Neg", FloatUnary.Op.NEG, x -> -x, x -> -x);
        signed("Abs", FloatUnary.Op.ABS, Math::abs, Math::abs);
        signed("Sign", null, Math::signum, Long::signum);
        plain("Floor", Math::floor);
        plain("Ceil", Math::ceil);
        plain("Round", Math::rint);
        plain("Sin", Math::sin);
        plain("Cos", Math::cos);
        plain("Tan", Math::tan);
        plain("Asin", Math::asin);
        plain("Acos", Math::acos);
        plain("Atan", Math::atan);
        plain("Sinh", Math::sinh);
        plain("Cosh", Math::cosh);
        plain("Asinh", x -> Double.isInfinite(x) ? x : Math.log(x + Math.sqrt(x * x + 1)));
        plain("Acosh", x -> Math.log(x + Math.sqrt(x * x - 1)));
        plain("Atanh", x -> 0.5 * Math.log((1 + x) / (1 - x)));
        fast("Erf", FloatUnary.Op.ERF, Special::erf);
        OpRegistry.register("IsNaN", (n, in, ctx) -> {
            floating("IsNaN", in[0]);
            double[] x = Values.doubles(in[0]);
            boolean[] r = new boolean[x.length];
            for (int i = 0; i < x.length; i++) r[i] = Double.isNaN(x[i]);
            return new Tensor[] {Values.boolTensor(in[0].shape(), r)};
        }, Rules.sameShape(DType.BOOL));
        OpRegistry.register("IsInf", (n, in, ctx) -> {
            floating("IsInf", in[0]);
            boolean neg = n.attrInt("detect_negative", 1) != 0, pos = n.attrInt("detect_positive", 1) != 0;
            double[] x = Values.doubles(in[0]);
            boolean[] r = new boolean[x.length];
            for (int i = 0; i < x.length; i++) r[i] = (pos && x[i] == Double.POSITIVE_INFINITY) || (neg && x[i] == Double.NEGATIVE_INFINITY);
            return new Tensor[] {Values.boolTensor(in[0].shape(), r)};
        }, Rules.sameShape(DType.BOOL));
    }

    /** Float-only op with a vectorized float32 path. */
    private static void fast(String type, FloatUnary.Op fop, DoubleUnaryOperator d) {
        OpRegistry.register(type, (n, in, ctx) -> {
            Tensor x = in[0];
            if (x.dtype() == DType.FLOAT) return new Tensor[] {Tensor.of(FloatUnary.apply(fop, x.floats(), 0, 0, ctx.parallel()), x.shape())};
            floating(type, x);
            return new Tensor[] {Generic.floatOnly(type, x, d)};
        }, Rules.SAME);
    }

    /** Op defined on signed integers as well as floats. */
    private static void signed(String type, FloatUnary.Op fop, DoubleUnaryOperator d, LongUnaryOperator l) {
        OpRegistry.register(type, (n, in, ctx) -> {
            Tensor x = in[0];
            if (x.dtype() == DType.FLOAT && fop != null) return new Tensor[] {Tensor.of(FloatUnary.apply(fop, x.floats(), 0, 0, ctx.parallel()), x.shape())};
            if (x.dtype() == DType.BOOL) throw new NnzipException(type + " is not defined on bool");
            return new Tensor[] {Generic.unary(type, x, d, l)};
        }, Rules.SAME);
    }

    private static void plain(String type, DoubleUnaryOperator d) {
        OpRegistry.register(type, (n, in, ctx) -> {
            floating(type, in[0]);
            return new Tensor[] {Generic.floatOnly(type, in[0], d)};
        }, Rules.SAME);
    }

    private static void floating(String type, Tensor x) {
        if (!x.dtype().isFloating()) throw new io.nnzip.ir.UnsupportedOpException(type + " on " + x.dtype().lower());
    }
}
