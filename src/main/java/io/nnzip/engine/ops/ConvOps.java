package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.Conv2d;
import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.kernels.ConvTranspose2d;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;

/** Conv and ConvTranspose over 1-D and 2-D spatial inputs (float32). */
public final class ConvOps {
    private ConvOps() {}

    public static void register() {
        OpRegistry.register("Conv", ConvOps::conv, (n, in, opset) -> shape(n, in, false));
        OpRegistry.register("ConvTranspose", ConvOps::convTranspose, (n, in, opset) -> shape(n, in, true));
    }

    // x: (N,C,D..), w: (K,C/g,k..), b: (K) -> y: (N,K,O..)
    static Tensor[] conv(Node node, Tensor[] in, ExecContext ctx) {
        Tensor x = floatInput(node, in, 0), w = floatInput(node, in, 1);
        int[] xs = x.shape(), ws = w.shape();
        ConvAttrs a = ConvAttrs.conv(node, xs, ws);
        checkSpatial(node, a);
        float[] bias = bias(node, in, ws[0]);
        Conv2d.Pool pool = fusedPool(node, a);
        int[] ys = outShape(xs[0], ws[0], pool == null ? a.out() : new int[] {pool.out(a.out()[0], true), pool.out(a.out()[1], false)});
        // Conv2d writes every output element, so a recycled buffer is fine
        float[] y = ctx.floats(io.nnzip.ir.Shapes.numel(ys));
        boolean relu = node.attrInt(Fusion.RELU, 0) != 0;
        Conv2d.forward(a.geometry(xs, ws), x.floats(), w.floats(), bias, y, relu, pool, ctx.parallel());
        return new Tensor[] {Tensor.of(y, ys)};
    }

    // x: (N,C,D..), w: (C,K/g,k..), b: (K) -> y: (N,K,O..)
    static Tensor[] convTranspose(Node node, Tensor[] in, ExecContext ctx) {
        Tensor x = floatInput(node, in, 0), w = floatInput(node, in, 1);
        int[] xs = x.shape(), ws = w.shape();
        ConvAttrs a = ConvAttrs.convTranspose(node, xs, ws);
        checkSpatial(node, a);
        int k = ws[1] * a.group();
        float[] bias = bias(node, in, k);
        int[] ys = outShape(xs[0], k, a.out());
        float[] y = new float[io.nnzip.ir.Shapes.numel(ys)];
        ConvGeometry g = a.transposedGeometry(xs, ws);
        ConvTranspose2d.forward(g, a.spatial() == 1 ? 1 : xs[2], xs[xs.length - 1], x.floats(), w.floats(), bias, y, ctx.parallel());
        return new Tensor[] {Tensor.of(y, ys)};
    }

    static ValueType[] shape(Node node, ValueType[] in, boolean transpose) {
        ValueType x = in[0], w = in[1];
        DType t = x.dtype() == null ? DType.FLOAT : x.dtype();
        if (!x.hasShape() || !w.hasShape()) return new ValueType[] {ValueType.unknown(t)};
        ConvAttrs a = transpose ? ConvAttrs.convTranspose(node, x.shape(), w.shape()) : ConvAttrs.conv(node, x.shape(), w.shape());
        int k = transpose ? (w.shape()[1] < 0 ? -1 : w.shape()[1] * a.group()) : w.shape()[0];
        int[] out = a.out();
        Conv2d.Pool pool = transpose ? null : fusedPool(node, a);
        if (pool != null) out = new int[] {out[0] < 0 ? -1 : pool.out(out[0], true), out[1] < 0 ? -1 : pool.out(out[1], false)};
        return new ValueType[] {ValueType.of(t, outShape(x.shape()[0], k, out))};
    }

    /** The max-pool {@link Fusion} folded into this conv, or null. */
    private static Conv2d.Pool fusedPool(Node node, ConvAttrs a) {
        long[] p = node.attrInts(Fusion.MAXPOOL, null);
        if (p == null) return null;
        if (a.spatial() != 2 || p.length != 4) throw new NnzipException(node.describe() + ": fused max-pool needs a 2-D conv");
        return new Conv2d.Pool((int) p[0], (int) p[1], (int) p[2], (int) p[3]);
    }

    private static int[] outShape(int n, int k, int[] spatial) {
        int[] s = new int[spatial.length + 2];
        s[0] = n;
        s[1] = k;
        System.arraycopy(spatial, 0, s, 2, spatial.length);
        return s;
    }

    private static void checkSpatial(Node node, ConvAttrs a) {
        if (a.spatial() > 2) throw new UnsupportedOpException(node.opType() + " " + a.spatial() + "-D");
    }

    static Tensor floatInput(Node node, Tensor[] in, int i) {
        if (i >= in.length || in[i] == null) throw new NnzipException(node.describe() + ": missing input " + i);
        if (in[i].dtype() != DType.FLOAT) throw new UnsupportedOpException(node.opType() + " on " + in[i].dtype().lower());
        return in[i];
    }

    private static float[] bias(Node node, Tensor[] in, int k) {
        if (in.length < 3 || in[2] == null) return null;
        Tensor b = floatInput(node, in, 2);
        if (b.size() != k) throw new NnzipException(node.describe() + ": bias has " + b.size() + " values, expected " + k);
        return b.floats();
    }
}
