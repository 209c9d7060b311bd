package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.ops.support.Rules;

/**
 * FakeQuantize, nnzip's training-only op (never written to an exported model): QuantizeLinear followed by
 * DequantizeLinear in one float op, {@code y = (saturate(round_half_even(x / scale) + zp) - zp) * scale} with the
 * integer range [qmin, qmax] from attributes. Per-tensor scale and zero point (float scalars, so that training can
 * treat the scale as a parameter). The arithmetic is QuantizeLinear's, so a model trained with it computes what
 * the exported Q/DQ pair computes. Its gradients (straight-through, scale as in LSQ) are in autodiff.
 */
public final class FakeQuantOps {
    public static final String OP = "FakeQuantize";

    private FakeQuantOps() {}

    public static void register() {
        OpRegistry.register(OP, FakeQuantOps::run, (n, in, o) -> Rules.one(DType.FLOAT, in[0].shape()));
    }

    // x: any shape, scale: scalar, zero_point: scalar (float holding an integer) -> y: shape of x
    static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        if (x.dtype() != DType.FLOAT || in[1].size() != 1 || in[2].size() != 1)
            throw new NnzipException(n.describe() + ": FakeQuantize needs float input and scalar scale / zero point");
        float scale = in[1].toFloats()[0], zp = in[2].toFloats()[0];
        if (!(scale > 0)) throw new NnzipException(n.describe() + ": scale must be positive, is " + scale);
        long qmin = n.attrInt("qmin", 0), qmax = n.attrInt("qmax", 255);
        float[] v = x.floats(), y = new float[v.length];
        ctx.parallel().forRange(v.length, 1 << 14, (lo, hi) -> {
            for (int i = lo; i < hi; i++) y[i] = fake(v[i], scale, zp, qmin, qmax);
        });
        return new Tensor[] {new Tensor(DType.FLOAT, x.shape(), y)};
    }

    /** One element: the float division and rounding of QuantizeLinear, then DequantizeLinear. */
    public static float fake(float x, float scale, float zp, long qmin, long qmax) {
        double q = Math.rint((double) (x / scale)) + zp;
        q = Math.max(qmin, Math.min(qmax, q));
        return (float) (q - zp) * scale;
    }
}
