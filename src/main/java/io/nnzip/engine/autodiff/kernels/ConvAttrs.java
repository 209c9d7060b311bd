package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;

/** Reads Conv / pool attributes (kernel_shape, strides, pads, dilations, auto_pad, group) into a geometry. */
public final class ConvAttrs {
    private ConvAttrs() {}

    // x: (N,C,H,W) or (N,C,L); w: (K,C/g,R,S) or (K,C/g,R)
    public static ConvGeometry conv(Node n, int[] x, int[] w) {
        if (x.length != 4 && x.length != 3) throw new NnzipException(n.describe() + ": gradient supports 1-D and 2-D convolutions only");
        int[] win = x.length == 4 ? new int[] {w[2], w[3]} : new int[] {1, w[2]};
        int[] sp = spatial(n, x, win);
        return new ConvGeometry(x[0], x[1], x.length == 4 ? x[2] : 1, x[x.length - 1], w[0], (int) n.attrInt("group", 1),
                win[0], win[1], sp[0], sp[1], sp[2], sp[3], sp[4], sp[5], sp[6], sp[7]);
    }

    /** Pool window as a geometry with one "filter" per channel: kernel_shape from the attribute. */
    public static ConvGeometry pool(Node n, int[] x) {
        long[] ks = n.attrInts("kernel_shape", null);
        if (ks == null) throw new NnzipException(n.describe() + ": missing kernel_shape");
        if (x.length != 4 && x.length != 3) throw new NnzipException(n.describe() + ": gradient supports 1-D and 2-D pooling only");
        int[] win = x.length == 4 ? new int[] {(int) ks[0], (int) ks[1]} : new int[] {1, (int) ks[0]};
        int[] sp = spatial(n, x, win);
        return new ConvGeometry(x[0], x[1], x.length == 4 ? x[2] : 1, x[x.length - 1], x[1], x[1],
                win[0], win[1], sp[0], sp[1], sp[2], sp[3], sp[4], sp[5], sp[6], sp[7]);
    }

    /** {strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW}, resolving auto_pad. */
    private static int[] spatial(Node n, int[] x, int[] win) {
        boolean twoD = x.length == 4;
        int[] st = pair(n.attrInts("strides", null), twoD);
        int[] dl = pair(n.attrInts("dilations", null), twoD);
        long[] pads = n.attrInts("pads", null);
        int pt = 0, pl = 0, pb = 0, pr = 0;
        if (pads != null) {
            if (twoD) { pt = (int) pads[0]; pl = (int) pads[1]; pb = (int) pads[2]; pr = (int) pads[3]; }
            else { pl = (int) pads[0]; pr = (int) pads[1]; }
        }
        String auto = n.attrString("auto_pad", "NOTSET");
        if (auto.startsWith("SAME")) {
            int[] in = {twoD ? x[2] : 1, x[x.length - 1]};
            int[] total = new int[2];
            for (int a = 0; a < 2; a++) {
                int out = (in[a] + st[a] - 1) / st[a];
                total[a] = Math.max(0, (out - 1) * st[a] + dl[a] * (win[a] - 1) + 1 - in[a]);
            }
            boolean upper = auto.equals("SAME_UPPER");
            pt = upper ? total[0] / 2 : total[0] - total[0] / 2;
            pb = total[0] - pt;
            pl = upper ? total[1] / 2 : total[1] - total[1] / 2;
            pr = total[1] - pl;
        } else if (auto.equals("VALID")) {
            pt = pl = pb = pr = 0;
        }
        return new int[] {st[0], st[1], pt, pl, pb, pr, dl[0], dl[1]};
    }

    private static int[] pair(long[] v, boolean twoD) {
        if (v == null) return new int[] {1, 1};
        return twoD ? new int[] {(int) v[0], (int) v[1]} : new int[] {1, (int) v[0]};
    }
}
