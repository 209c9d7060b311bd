package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.BinaryConv;
import io.nnzip.engine.kernels.Conv2d;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * BinaryConv, an engine-private op (never written to a file) that {@link io.nnzip.engine.BinaryLowering} puts in
 * place of a Conv or Gemm whose input is thresholded to two levels and whose weight rows are ±α: the Conv's own
 * attributes plus {@link #THRESHOLD}, {@link #PM1} and {@link #GEMM}. Inputs: x, the (K, C, R, S) ±α weight
 * (already multiplied by the input's upper level), bias. Runs on packed bits ({@link BinaryConv}).
 */
public final class BinaryOps {
    public static final String OP = "BinaryConv";
    /**
     * Binarize, a training-only op (exported as Where(Greater(x, t), 1, lo)): y = 1 where x > t, else 0, or −1
     * with {@link #PM1}. Inputs x and the scalar threshold t; its straight-through gradient is in autodiff.
     */
    public static final String BINARIZE = "Binarize";
    /** FLOAT: input bit = x > threshold. */
    public static final String THRESHOLD = "nnzip_threshold";
    /** INT 1: bits code ±1 (else {0, 1}). */
    public static final String PM1 = "nnzip_pm1";
    /** INT 1: the node was a Gemm on (N, F): run as 1×1 over (N, F, 1, 1) (or over (N, C, H, W) when F was a flattened C·H·W) and return (N, K). */
    public static final String GEMM = "nnzip_gemm";
    /**
     * FLOAT: write bits y > this threshold, packed (N, P, Q, ⌈K/32⌉) INT32, for the next bit layer (which then reads
     * packed bits: an INT32 input is always packed), instead of floats.
     */
    public static final String BITS_OUT = "nnzip_bits_out";
    /** A float Conv (with its fused ReLU/MaxPool) whose output only a bit layer reads: writes packed bits ({@link #BITS_OUT}). */
    public static final String CONV_BITS = "ConvToBits";

    /** Packed weights by the weight array they were packed from (identity), so each is packed once per model. */
    private static final Map<float[], BinaryConv.Weights> PACKED = Collections.synchronizedMap(new WeakHashMap<>());

    private BinaryOps() {}

    public static void register() {
        OpRegistry.register(OP, BinaryOps::run, BinaryOps::shape);
        OpRegistry.register(CONV_BITS, BinaryOps::convToBits, BinaryOps::shape);
        OpRegistry.register(BINARIZE, BinaryOps::binarize, (n, in, opset) -> new ValueType[] {ValueType.of(DType.FLOAT, in[0].shape())});
    }

    // packed inputs (N,H,W,words) read as (N,C,H,W); packed outputs (N,P,Q,words)
    private static ValueType[] shape(Node n, ValueType[] in, int opset) {
        ValueType x = in[0], w = in[1];
        if (x.dtype() == DType.INT32 && x.hasShape() && w.hasShape()) {
            int[] s = x.shape();
            x = ValueType.of(DType.FLOAT, s[0], w.shape()[1], s[1], s[2]);
        }
        if (n.attrInt(GEMM, 0) != 0) return new ValueType[] {ValueType.of(DType.FLOAT, x.hasShape() ? x.shape()[0] : -1, w.shape()[0])};
        ValueType y = ConvOps.shape(n, new ValueType[] {x, w}, false)[0];
        if (!n.has(BITS_OUT) || !y.hasShape()) return new ValueType[] {y};
        int[] s = y.shape();
        return new ValueType[] {ValueType.of(DType.INT32, s[0], s[2], s[3], BinaryConv.words(s[1]))};
    }

    // x: any shape, t: scalar -> y: shape of x, in {0, 1} or {-1, 1}
    static Tensor[] binarize(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(n, in, 0);
        if (in.length < 2 || in[1] == null || in[1].size() != 1) throw new NnzipException(n.describe() + ": Binarize needs a scalar threshold");
        float t = in[1].toFloats()[0], lo = n.attrInt(PM1, 0) != 0 ? -1f : 0f;
        float[] v = x.floats(), y = new float[v.length];
        ctx.parallel().forRange(v.length, 1 << 14, (a, b) -> {
            for (int i = a; i < b; i++) y[i] = v[i] > t ? 1f : lo;
        });
        return new Tensor[] {new Tensor(DType.FLOAT, x.shape(), y)};
    }

    // x: (N,C,H,W) floats, (N,H,W,words) bits, or (N,F) when GEMM; w: (K,C,R,S), bias: (K) -> y: (N,K,P,Q) floats,
    // (N,P,Q,words) bits with BITS_OUT, or (N,K) when GEMM
    static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0], w = ConvOps.floatInput(n, in, 1);
        boolean gemm = n.attrInt(GEMM, 0) != 0, packed = x != null && x.dtype() == DType.INT32;
        if (!packed) x = ConvOps.floatInput(n, in, 0);
        int[] ws = w.shape(), s = x.shape();
        int[] xs = packed ? new int[] {s[0], ws[1], s[1], s[2]} : gemm ? new int[] {s[0], s[1], 1, 1} : s;
        if (xs.length != 4 || ws.length != 4 || xs[1] != ws[1] || packed && (s.length != 4 || s[3] != BinaryConv.words(ws[1])))
            throw new NnzipException(n.describe() + ": BinaryConv needs a 2-D group-1 conv, got input " + io.nnzip.ir.Shapes.str(s) + " and weight " + io.nnzip.ir.Shapes.str(ws));
        ConvAttrs a = ConvAttrs.conv(n, xs, ws);
        float[] bias = in.length > 2 && in[2] != null ? in[2].floats() : null;
        BinaryConv.Weights pw = PACKED.get(w.floats());
        // one array may be seen under two shapes (a Gemm's (K, F) weight and its (K, C, H, W) plane view)
        if (pw == null || pw.c() != ws[1] || pw.r() != ws[2] || pw.s() != ws[3]) PACKED.put(w.floats(), pw = BinaryConv.pack(w.floats(), ws[0], ws[1], ws[2], ws[3], bias));
        var g = a.geometry(xs, ws);
        int[] bits = packed ? x.ints() : BinaryConv.packInput(x.floats(), n.attrFloat(THRESHOLD, 0f), xs[0], xs[1], xs[2] * xs[3], ctx.parallel());
        Conv2d.Pool pool = pool(n);
        int p = pool == null ? g.p() : pool.out(g.p(), true), q = pool == null ? g.q() : pool.out(g.q(), false);
        boolean relu = n.attrInt(Fusion.RELU, 0) != 0, pm1 = n.attrInt(PM1, 0) != 0;
        if (n.has(BITS_OUT)) {
            int kw = BinaryConv.words(ws[0]);
            int[] y = new int[xs[0] * p * q * kw];
            BinaryConv.run(g, bits, pm1, pw, new BinaryConv.Epilogue(relu, pool, true, n.attrFloat(BITS_OUT, 0f)), null, y, ctx.parallel());
            return new Tensor[] {new Tensor(DType.INT32, new int[] {xs[0], p, q, kw}, y)};
        }
        // BitWords writes every element (pooled outputs start from −∞), so a recycled buffer is fine
        float[] y = ctx.floats(xs[0] * ws[0] * p * q);
        BinaryConv.run(g, bits, pm1, pw, BinaryConv.Epilogue.floats(relu, pool), y, null, ctx.parallel());
        return new Tensor[] {gemm ? Tensor.of(y, xs[0], ws[0]) : Tensor.of(y, xs[0], ws[0], p, q)};
    }

    // x: (N,C,H,W), w: (K,C/g,R,S), bias: (K) -> bits (N,P,Q,words) of act(conv(x)) > BITS_OUT
    static Tensor[] convToBits(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(n, in, 0), w = ConvOps.floatInput(n, in, 1);
        int[] xs = x.shape(), ws = w.shape();
        if (xs.length != 4 || ws.length != 4) throw new NnzipException(n.describe() + ": ConvToBits needs a 2-D conv");
        ConvAttrs a = ConvAttrs.conv(n, xs, ws);
        float[] bias = in.length > 2 && in[2] != null ? in[2].floats() : null;
        Conv2d.Pool pool = pool(n);
        var g = a.geometry(xs, ws);
        int p = pool == null ? g.p() : pool.out(g.p(), true), q = pool == null ? g.q() : pool.out(g.q(), false);
        int[] y = BinaryConv.convToBits(g, x.floats(), w.floats(), bias, n.attrInt(Fusion.RELU, 0) != 0, pool, n.attrFloat(BITS_OUT, 0f), ctx.parallel());
        return new Tensor[] {new Tensor(DType.INT32, new int[] {xs[0], p, q, BinaryConv.words(ws[0])}, y)};
    }

    private static Conv2d.Pool pool(Node n) {
        long[] p = n.attrInts(Fusion.MAXPOOL, null);
        return p == null ? null : new Conv2d.Pool((int) p[0], (int) p[1], (int) p[2], (int) p[3]);
    }
}
