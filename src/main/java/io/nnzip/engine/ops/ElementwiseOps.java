package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Kernel;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.FloatBinary;
import io.nnzip.engine.ops.support.Generic;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * Broadcasting binary and variadic arithmetic (Add ... Mean, Mod, BitShift) and Where. Comparisons and boolean
 * logic live in {@link CompareOps}, unary math in {@link MathOps}; this family registers them too.
 */
public final class ElementwiseOps {
    private ElementwiseOps() {}

    public static void register() {
        arith("Add", FloatBinary.Op.ADD, Double::sum, Long::sum);
        arith("Sub", FloatBinary.Op.SUB, (x, y) -> x - y, (x, y) -> x - y);
        arith("Mul", FloatBinary.Op.MUL, (x, y) -> x * y, (x, y) -> x * y);
        arith("Div", FloatBinary.Op.DIV, (x, y) -> x / y, ElementwiseOps::intDiv);
        OpRegistry.register("Pow", ElementwiseOps::pow, Rules.broadcast(0, null));
        OpRegistry.register("Mod", ElementwiseOps::mod, Rules.broadcast(0, null));
        OpRegistry.register("BitShift", ElementwiseOps::bitShift, Rules.broadcast(0, null));
        variadic("Max", FloatBinary.Op.MAX, Math::max, Math::max);
        variadic("Min", FloatBinary.Op.MIN, Math::min, Math::min);
        variadic("Sum", FloatBinary.Op.ADD, Double::sum, Long::sum);
        OpRegistry.register("Mean", ElementwiseOps::mean, Rules.broadcast(0, null));
        OpRegistry.register("Where", ElementwiseOps::where, Rules.broadcast(1, null));
        CompareOps.register();
        MathOps.register();
    }

    private static void arith(String type, FloatBinary.Op fop, DoubleBinaryOperator d, LongBinaryOperator l) {
        OpRegistry.register(type, (n, in, ctx) -> new Tensor[] {binary(type, fop, in[0], in[1], ctx, d, l)}, Rules.broadcast(0, null));
    }

    private static void variadic(String type, FloatBinary.Op fop, DoubleBinaryOperator d, LongBinaryOperator l) {
        Kernel k = (n, in, ctx) -> {
            Tensor acc = in[0];
            for (int i = 1; i < in.length; i++) acc = binary(type, fop, acc, in[i], ctx, d, l);
            return new Tensor[] {in.length == 1 ? acc.copy() : acc};
        };
        OpRegistry.register(type, k, Rules.broadcast(0, null));
    }

    /** One broadcast binary op: float32 on the vector path, everything else through {@link Generic}. */
    public static Tensor binary(String type, FloatBinary.Op fop, Tensor a, Tensor b, ExecContext ctx, DoubleBinaryOperator d, LongBinaryOperator l) {
        Generic.sameType(type, a, b);
        if (a.dtype() == DType.FLOAT && fop != null) {
            int[] out = Shapes.broadcast(a.shape(), b.shape());
            return Tensor.of(FloatBinary.apply(fop, a.floats(), a.shape(), b.floats(), b.shape(), out, ctx.parallel(), ctx.floats(Shapes.numel(out))), out);
        }
        if (a.dtype() == DType.BOOL) throw new UnsupportedOpException(type + " on bool");
        return Generic.binary(type, a, b, null, d, l);
    }

    private static long intDiv(long x, long y) {
        if (y == 0) throw new NnzipException("integer division by zero");
        return x / y;
    }

    private static Tensor[] pow(Node n, Tensor[] in, ExecContext ctx) {
        Tensor a = in[0], b = in[1];
        if (a.dtype() == DType.FLOAT && b.dtype() == DType.FLOAT) {
            int[] out = Shapes.broadcast(a.shape(), b.shape());
            return new Tensor[] {Tensor.of(FloatBinary.apply(FloatBinary.Op.POW, a.floats(), a.shape(), b.floats(), b.shape(), out, ctx.parallel()), out)};
        }
        if (a.dtype() == DType.BOOL || b.dtype() == DType.BOOL) throw new UnsupportedOpException("Pow on bool");
        if (!a.dtype().isFloating() && !b.dtype().isFloating())
            return new Tensor[] {Generic.binary("Pow", a, b, a.dtype(), null, ElementwiseOps::ipow)};
        return new Tensor[] {Generic.binary("Pow", a, b, a.dtype(), Math::pow, null)};
    }

    private static long ipow(long base, long exp) {
        if (exp < 0) return (long) Math.pow(base, exp);
        long r = 1;
        for (long e = exp; e > 0; e--) r *= base;
        return r;
    }

    private static Tensor[] mod(Node n, Tensor[] in, ExecContext ctx) {
        Generic.sameType("Mod", in[0], in[1]);
        boolean fmod = n.attrInt("fmod", 0) == 1;
        if (in[0].dtype().isFloating() && !fmod) throw new NnzipException("Mod on floating inputs needs fmod=1");
        LongBinaryOperator l = fmod ? (x, y) -> x % nonZero(y) : (x, y) -> Math.floorMod(x, nonZero(y));
        return new Tensor[] {Generic.binary("Mod", in[0], in[1], null, (x, y) -> x % y, l)};
    }

    private static long nonZero(long y) {
        if (y == 0) throw new NnzipException("integer modulo by zero");
        return y;
    }

    private static Tensor[] bitShift(Node n, Tensor[] in, ExecContext ctx) {
        Generic.sameType("BitShift", in[0], in[1]);
        DType t = in[0].dtype();
        if (!t.isUnsigned()) throw new UnsupportedOpException("BitShift on " + t.lower());
        String dir = n.attrString("direction", "");
        LongBinaryOperator l = switch (dir) {
            case "LEFT" -> (x, y) -> y >= 64 ? 0 : x << y;
            case "RIGHT" -> (x, y) -> y >= 64 ? 0 : x >>> y;
            default -> throw new NnzipException("BitShift direction must be LEFT or RIGHT, got '" + dir + "'");
        };
        return new Tensor[] {Generic.binary("BitShift", in[0], in[1], null, null, l)};
    }

    private static Tensor[] mean(Node n, Tensor[] in, ExecContext ctx) {
        Tensor sum = in[0];
        for (int i = 1; i < in.length; i++) sum = binary("Mean", FloatBinary.Op.ADD, sum, in[i], ctx, Double::sum, Long::sum);
        Tensor count = Values.fromDoubles(sum.dtype(), new int[0], new double[] {in.length});
        return new Tensor[] {binary("Mean", FloatBinary.Op.DIV, sum, count, ctx, (x, y) -> x / y, (x, y) -> x / y)};
    }

    // cond, x, y broadcast together -> out
    private static Tensor[] where(Node n, Tensor[] in, ExecContext ctx) {
        Tensor c = in[0], x = in[1], y = in[2];
        if (c.dtype() != DType.BOOL) throw new NnzipException("Where condition must be bool, got " + c.dtype().lower());
        Generic.sameType("Where", x, y);
        int[] out = Shapes.broadcast(c.shape(), x.shape(), y.shape());
        int[] ic = Index.broadcastMap(c.shape(), out), ix = Index.broadcastMap(x.shape(), out), iy = Index.broadcastMap(y.shape(), out);
        byte[] cond = c.bytes();
        // Index into x's elements followed by y's: one gather over the concatenation picks from either.
        int nx = x.size();
        int[] pick = new int[ic.length];
        for (int i = 0; i < pick.length; i++) pick[i] = cond[ic[i]] != 0 ? ix[i] : nx + iy[i];
        Object both = concat(x.data(), y.data());
        return new Tensor[] {new Tensor(x.dtype(), out, Index.take(both, pick))};
    }

    static Object concat(Object a, Object b) {
        int na = Tensor.length(a), nb = Tensor.length(b);
        Object r = java.lang.reflect.Array.newInstance(a.getClass().getComponentType(), na + nb);
        System.arraycopy(a, 0, r, 0, na);
        System.arraycopy(b, 0, r, na, nb);
        return r;
    }
}
