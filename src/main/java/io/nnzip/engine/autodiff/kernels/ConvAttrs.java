package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.engine.ops.support.PoolGeometry;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;

/**
 * Conv / pool attributes as the 2-D geometry the training kernels take. The attributes (pads, auto_pad, strides,
 * dilations, ceil_mode) are resolved once, by the inference ops' readers, so forward and backward agree on shapes.
 */
public final class ConvAttrs {
    private ConvAttrs() {}

    // x: (N,C,H,W) or (N,C,L); w: (K,C/g,R,S) or (K,C/g,R)
    public static ConvGeometry conv(Node n, int[] x, int[] w) {
        if (x.length != 4 && x.length != 3) throw new NnzipException(n.describe() + ": gradient supports 1-D and 2-D convolutions only");
        return io.nnzip.engine.ops.ConvAttrs.conv(n, x, w).geometry(x, w);
    }

    /** Pool window as a geometry with one "filter" per channel; ceil_mode becomes extra end padding. */
    public static ConvGeometry pool(Node n, int[] x) {
        if (x.length != 4 && x.length != 3) throw new NnzipException(n.describe() + ": gradient supports 1-D and 2-D pooling only");
        PoolGeometry p = PoolGeometry.of(n, java.util.Arrays.copyOfRange(x, 2, x.length));
        int[] end = new int[3];
        for (int i = 1; i < 3; i++) end[i] = Math.max(p.padEnd[i], (p.out[i] - 1) * p.stride[i] + p.dil[i] * (p.k[i] - 1) + 1 - p.in[i] - p.padBegin[i]);
        return new ConvGeometry(x[0], x[1], p.in[1], p.in[2], x[1], x[1], p.k[1], p.k[2], p.stride[1], p.stride[2],
                p.padBegin[1], p.padBegin[2], end[1], end[2], p.dil[1], p.dil[2]);
    }
}
