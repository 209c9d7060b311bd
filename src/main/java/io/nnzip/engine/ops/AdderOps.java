package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ValueType;
import io.nnzip.engine.kernels.AdderConv2d;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;

/**
 * AdderConv, an engine-private op (AdderNet's layer; {@code io.nnzip.arch.AdderRedesign} writes it to files as
 * standard ONNX ops): Conv's attributes (kernel_shape, strides, pads, dilations, auto_pad; group 1), inputs x and
 * the (K, C, R, S) filter, no bias. y = −Σ|patch − filter| ({@link AdderConv2d}); its gradient is in autodiff.
 */
public final class AdderOps {
    public static final String OP = "AdderConv";

    private AdderOps() {}

    public static void register() {
        OpRegistry.register(OP, AdderOps::run, (n, in, opset) -> ConvOps.shape(n, in, false));
    }

    // x: (N,C,H,W), w: (K,C,R,S) -> y: (N,K,P,Q)
    static Tensor[] run(Node node, Tensor[] in, ExecContext ctx) {
        Tensor x = ConvOps.floatInput(node, in, 0), w = ConvOps.floatInput(node, in, 1);
        ConvAttrs a = ConvAttrs.conv(node, x.shape(), w.shape());
        if (a.spatial() != 2 || a.group() != 1) throw new NnzipException(node.describe() + ": AdderConv needs a 2-D convolution of group 1");
        int[] ys = {x.dim(0), w.dim(0), a.out()[0], a.out()[1]};
        float[] y = new float[ys[0] * ys[1] * ys[2] * ys[3]];
        AdderConv2d.forward(a.geometry(x.shape(), w.shape()), x.floats(), w.floats(), y, ctx.parallel());
        return new Tensor[] {Tensor.of(y, ys)};
    }
}
