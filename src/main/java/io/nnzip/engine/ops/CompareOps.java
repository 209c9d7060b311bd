package io.nnzip.engine.ops;

import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Generic;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;

/** Broadcasting comparisons (→ bool) and boolean logic. Registered by {@link ElementwiseOps}. */
final class CompareOps {
    private CompareOps() {}

    private interface Test {
        boolean test(int cmp);
    }

    static void register() {
        compare("Equal", c -> c == 0);
        compare("Less", c -> c < 0);
        compare("Greater", c -> c > 0);
        compare("LessOrEqual", c -> c <= 0);
        compare("GreaterOrEqual", c -> c >= 0);
        logic("And", (x, y) -> x & y);
        logic("Or", (x, y) -> x | y);
        logic("Xor", (x, y) -> x ^ y);
        OpRegistry.register("Not", (n, in, ctx) -> {
            byte[] x = bools("Not", in[0]), r = new byte[x.length];
            for (int i = 0; i < x.length; i++) r[i] = (byte) (x[i] == 0 ? 1 : 0);
            return new Tensor[] {new Tensor(DType.BOOL, in[0].shape(), r)};
        }, Rules.sameShape(DType.BOOL));
    }

    private static void compare(String type, Test t) {
        OpRegistry.register(type, (n, in, ctx) -> new Tensor[] {compare(type, in[0], in[1], t)}, Rules.broadcast(0, DType.BOOL));
    }

    // a, b broadcast -> bool
    private static Tensor compare(String type, Tensor a, Tensor b, Test t) {
        Generic.sameType(type, a, b);
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        int[] ia = Index.broadcastMap(a.shape(), out), ib = Index.broadcastMap(b.shape(), out);
        byte[] r = new byte[ia.length];
        DType dt = a.dtype();
        if (dt == DType.FLOAT) {
            float[] x = a.floats(), y = b.floats();
            for (int i = 0; i < r.length; i++) r[i] = cmp(x[ia[i]], y[ib[i]], t);
        } else if (dt.isFloating()) {
            double[] x = Values.doubles(a), y = Values.doubles(b);
            for (int i = 0; i < r.length; i++) r[i] = cmp(x[ia[i]], y[ib[i]], t);
        } else if (dt == DType.STRING) {
            if (!type.equals("Equal")) throw new io.nnzip.ir.UnsupportedOpException(type + " on string");
            String[] x = a.strings(), y = b.strings();
            for (int i = 0; i < r.length; i++) r[i] = (byte) (x[ia[i]].equals(y[ib[i]]) ? 1 : 0);
        } else {
            long[] x = Values.longs(a), y = Values.longs(b);
            boolean unsigned = dt == DType.UINT64;
            for (int i = 0; i < r.length; i++) {
                int c = unsigned ? Long.compareUnsigned(x[ia[i]], y[ib[i]]) : Long.compare(x[ia[i]], y[ib[i]]);
                r[i] = (byte) (t.test(c) ? 1 : 0);
            }
        }
        return new Tensor(DType.BOOL, out, r);
    }

    /** NaN compares false under every test, as in IEEE and numpy. */
    private static byte cmp(double x, double y, Test t) {
        if (x != x || y != y) return 0;
        return (byte) (t.test(x < y ? -1 : x > y ? 1 : 0) ? 1 : 0);
    }

    private interface ByteOp {
        int apply(int x, int y);
    }

    private static void logic(String type, ByteOp op) {
        OpRegistry.register(type, (n, in, ctx) -> {
            byte[] x = bools(type, in[0]), y = bools(type, in[1]);
            int[] out = Shapes.broadcast(in[0].shape(), in[1].shape());
            int[] ia = Index.broadcastMap(in[0].shape(), out), ib = Index.broadcastMap(in[1].shape(), out);
            byte[] r = new byte[ia.length];
            for (int i = 0; i < r.length; i++) r[i] = (byte) op.apply(x[ia[i]], y[ib[i]]);
            return new Tensor[] {new Tensor(DType.BOOL, out, r)};
        }, Rules.broadcast(0, DType.BOOL));
    }

    private static byte[] bools(String type, Tensor t) {
        if (t.dtype() != DType.BOOL) throw new NnzipException(type + " needs bool inputs, got " + t.dtype().lower());
        return t.bytes();
    }
}
