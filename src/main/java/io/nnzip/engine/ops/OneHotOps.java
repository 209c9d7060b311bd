package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;

/**
 * OneHotQuant, a training-only op (exported as standard ops, see {@code io.nnzip.quant.lowbit.OneHotNet}): rounds a
 * non-negative activation to the nearest of B + 1 levels {0} ∪ {s·2^−e : e = 0 … B−1} (a B-bit word with a single
 * set bit, times the scale s). Inputs x and the scalar scale s; attribute {@link #BITS}. The thresholds between
 * neighbouring levels are their midpoints (0.75·s·2^−e between s·2^−e−1 and s·2^−e, half the lowest level
 * below it), so the level is the count of thresholds x exceeds: the export computes exactly that. The
 * straight-through gradient is in autodiff.
 */
public final class OneHotOps {
    public static final String OP = "OneHotQuant";
    /** INT: B, the number of non-zero levels (one per bit position). */
    public static final String BITS = "nnzip_bits";

    private OneHotOps() {}

    public static void register() {
        OpRegistry.register(OP, OneHotOps::run, (n, in, opset) -> new ValueType[] {ValueType.of(DType.FLOAT, in[0].shape())});
    }

    /** The B + 1 levels for scale s: levels[0] = 0, levels[k] = s·2^(k−B). */
    public static float[] levels(float s, int bits) {
        float[] l = new float[bits + 1];
        for (int k = 1; k <= bits; k++) l[k] = Math.scalb(s, k - bits);
        return l;
    }

    /** The B thresholds: t[0] = half the lowest level, t[k] = 0.75·levels[k + 1], the midpoint of levels k and k + 1. */
    public static float[] thresholds(float s, int bits) {
        float[] t = new float[bits];
        t[0] = Math.scalb(s, -bits);
        float three = 0.75f * s;
        for (int k = 1; k < bits; k++) t[k] = Math.scalb(three, k - bits + 1);
        return t;
    }

    /** The level index of {@code x}: how many thresholds it exceeds. */
    public static int level(float x, float[] t) {
        int k = 0;
        while (k < t.length && x > t[k]) k++;
        return k;
    }

    // x: any shape, s: scalar -> y: shape of x, one of the B + 1 levels
    static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(n, in, 0);
        if (in.length < 2 || in[1] == null || in[1].size() != 1) throw new NnzipException(n.describe() + ": OneHotQuant needs a scalar scale");
        int bits = (int) n.attrInt(BITS, 4);
        float s = in[1].toFloats()[0];
        float[] t = thresholds(s, bits), l = levels(s, bits);
        float[] v = x.floats(), y = new float[v.length];
        ctx.parallel().forRange(v.length, 1 << 14, (a, b) -> {
            for (int i = a; i < b; i++) y[i] = l[level(v[i], t)];
        });
        return new Tensor[] {new Tensor(DType.FLOAT, x.shape(), y)};
    }
}
