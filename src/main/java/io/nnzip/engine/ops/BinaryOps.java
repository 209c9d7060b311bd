package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.BinaryConv;
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
    /** INT 1: the node was a Gemm on (N, F): run as 1×1 over (N, F, 1, 1) and return (N, K). */
    public static final String GEMM = "nnzip_gemm";

    /** Packed weights by the weight array they were packed from (identity), so each is packed once per model. */
    private static final Map<float[], BinaryConv.Weights> PACKED = Collections.synchronizedMap(new WeakHashMap<>());

    private BinaryOps() {}

    public static void register() {
        OpRegistry.register(OP, BinaryOps::run, (n, in, opset) -> {
            if (n.attrInt(GEMM, 0) == 0) return ConvOps.shape(n, in, false);
            int[] x = in[0].shape(), w = in[1].shape();
            return new ValueType[] {ValueType.of(DType.FLOAT, x == null ? -1 : x[0], w[0])};
        });
        OpRegistry.register(BINARIZE, BinaryOps::binarize, (n, in, opset) -> new ValueType[] {ValueType.of(DType.FLOAT, in[0].shape())});
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

    // x: (N,C,H,W) or (N,F) when GEMM, w: (K,C,R,S), bias: (K) -> y: (N,K,P,Q) or (N,K)
    static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(n, in, 0), w = ConvOps.floatInput(n, in, 1);
        boolean gemm = n.attrInt(GEMM, 0) != 0;
        int[] xs = gemm ? new int[] {x.shape()[0], x.shape()[1], 1, 1} : x.shape(), ws = w.shape();
        if (xs.length != 4 || ws.length != 4 || xs[1] != ws[1]) throw new NnzipException(n.describe() + ": BinaryConv needs a 2-D group-1 conv");
        ConvAttrs a = ConvAttrs.conv(n, xs, ws);
        float[] bias = in.length > 2 && in[2] != null ? in[2].floats() : null;
        BinaryConv.Weights pw = PACKED.computeIfAbsent(w.floats(), f -> BinaryConv.pack(f, ws[0], ws[1], ws[2], ws[3], bias));
        var g = a.geometry(xs, ws);
        float[] y = new float[xs[0] * ws[0] * g.p() * g.q()];
        BinaryConv.forward(g, x.floats(), n.attrFloat(THRESHOLD, 0f), n.attrInt(PM1, 0) != 0, pw, y, n.attrInt(Fusion.RELU, 0) != 0, ctx.parallel());
        return new Tensor[] {gemm ? Tensor.of(y, xs[0], ws[0]) : Tensor.of(y, xs[0], ws[0], g.p(), g.q())};
    }
}
