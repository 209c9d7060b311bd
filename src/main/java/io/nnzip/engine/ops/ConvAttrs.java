package io.nnzip.engine.ops;

import io.nnzip.engine.kernels.ConvGeometry;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.UnsupportedOpException;

/**
 * The attributes of a Conv or ConvTranspose node resolved against concrete input shapes: explicit begin/end pads
 * (auto_pad applied), strides, dilations, group, and the output's spatial size. Spatial arrays have one entry per
 * spatial axis ({@code rank - 2}); a -1 input dim gives a -1 output dim.
 */
public record ConvAttrs(int spatial, int group, int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] padEnd, int[] out) {

    /**
     * Conv. <pre>x: (N,C,D1..Dn), w: (K,C/group,k1..kn) -> y: (N,K,O1..On)</pre>
     * Output per axis: {@code floor((in + pb + pe - dil·(k-1) - 1) / stride) + 1}.
     */
    public static ConvAttrs conv(Node node, int[] x, int[] w) {
        int sp = checkRanks(node, x, w);
        int[] kernel = kernel(node, w, sp);
        int[] strides = ints(node, "strides", sp, 1);
        int[] dil = ints(node, "dilations", sp, 1);
        int[] pb = new int[sp], pe = new int[sp], out = new int[sp];
        String autoPad = autoPad(node);
        long[] pads = node.attrInts("pads", null);
        if (pads != null && pads.length != 2 * sp) throw new NnzipException(node.describe() + ": pads has " + pads.length + " values, expected " + 2 * sp);
        for (int i = 0; i < sp; i++) {
            int in = x[i + 2], ek = dil[i] * (kernel[i] - 1) + 1;
            if (strides[i] < 1 || dil[i] < 1) throw new NnzipException(node.describe() + ": strides and dilations must be positive");
            switch (autoPad) {
                case "SAME_UPPER", "SAME_LOWER" -> {
                    if (in < 0) {
                        out[i] = -1;
                        continue;
                    }
                    int o = (in + strides[i] - 1) / strides[i];
                    int total = Math.max(0, (o - 1) * strides[i] + ek - in);
                    pb[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    pe[i] = total - pb[i];
                    out[i] = o;
                    continue;
                }
                case "VALID" -> { }
                default -> {
                    if (pads != null) {
                        pb[i] = (int) pads[i];
                        pe[i] = (int) pads[i + sp];
                    }
                }
            }
            out[i] = in < 0 ? -1 : Math.floorDiv(in + pb[i] + pe[i] - ek, strides[i]) + 1;
            if (in >= 0 && out[i] < 1) throw new NnzipException(node.describe() + ": kernel " + ek + " larger than padded input " + (in + pb[i] + pe[i]) + " on spatial axis " + i);
        }
        int group = group(node);
        if (x[1] >= 0 && w[1] >= 0 && x[1] != w[1] * group)
            throw new NnzipException(node.describe() + ": input has " + x[1] + " channels, weight expects " + w[1] + "·group " + group);
        if (w[0] >= 0 && w[0] % group != 0) throw new NnzipException(node.describe() + ": " + w[0] + " output channels not divisible by group " + group);
        return new ConvAttrs(sp, group, kernel, strides, dil, pb, pe, out);
    }

    /**
     * ConvTranspose. <pre>x: (N,C,D1..Dn), w: (C,K/group,k1..kn) -> y: (N,K,O1..On)</pre>
     * Output per axis: {@code stride·(in-1) + output_padding + dil·(k-1) + 1 - pb - pe}, or output_shape with the
     * pads derived from it.
     */
    static ConvAttrs convTranspose(Node node, int[] x, int[] w) {
        int sp = checkRanks(node, x, w);
        int[] kernel = kernel(node, w, sp);
        int[] strides = ints(node, "strides", sp, 1);
        int[] dil = ints(node, "dilations", sp, 1);
        int[] outPad = ints(node, "output_padding", sp, 0);
        long[] outShape = node.attrInts("output_shape", null);
        long[] pads = node.attrInts("pads", null);
        String autoPad = autoPad(node);
        int[] pb = new int[sp], pe = new int[sp], out = new int[sp];
        for (int i = 0; i < sp; i++) {
            int in = x[i + 2], ek = dil[i] * (kernel[i] - 1) + 1;
            if (in < 0) {
                out[i] = -1;
                continue;
            }
            int full = strides[i] * (in - 1) + outPad[i] + ek;
            int target = -1;
            if (outShape != null) target = (int) outShape[outShape.length - sp + i];
            else if (autoPad.startsWith("SAME")) target = in * strides[i];
            if (target >= 0) {
                // a negative total (output_shape beyond the full output) pads with zeros at the end
                int total = full - target;
                // the ONNX spec: SAME_UPPER puts the smaller half first, everything else the larger half
                pb[i] = autoPad.equals("SAME_UPPER") ? Math.floorDiv(total, 2) : total - Math.floorDiv(total, 2);
                pe[i] = total - pb[i];
                out[i] = target;
            } else {
                if (pads != null && !autoPad.equals("VALID")) {
                    pb[i] = (int) pads[i];
                    pe[i] = (int) pads[i + sp];
                }
                out[i] = full - pb[i] - pe[i];
            }
            if (out[i] < 1) throw new NnzipException(node.describe() + ": pads leave no output on spatial axis " + i + " (size " + out[i] + ")");
            if (outPad[i] >= Math.max(strides[i], dil[i]))
                throw new NnzipException(node.describe() + ": output_padding " + outPad[i] + " must be smaller than the stride or dilation");
        }
        int group = group(node);
        if (x[1] >= 0 && w[0] >= 0 && x[1] != w[0]) throw new NnzipException(node.describe() + ": input has " + x[1] + " channels, weight has " + w[0]);
        if (w[0] >= 0 && w[0] % group != 0) throw new NnzipException(node.describe() + ": " + w[0] + " input channels not divisible by group " + group);
        return new ConvAttrs(sp, group, kernel, strides, dil, pb, pe, out);
    }

    /** The 2-D geometry of a Conv (1-D convs become H = 1) over input x and weight w. */
    public ConvGeometry geometry(int[] x, int[] w) {
        if (spatial == 1)
            return new ConvGeometry(x[0], x[1], 1, x[2], w[0], group, 1, kernel[0], 1, strides[0], 0, padBegin[0], 0, padEnd[0], 1, dilations[0]);
        return new ConvGeometry(x[0], x[1], x[2], x[3], w[0], group, kernel[0], kernel[1], strides[0], strides[1],
                padBegin[0], padBegin[1], padEnd[0], padEnd[1], dilations[0], dilations[1]);
    }

    /**
     * The geometry of the Conv whose adjoint this ConvTranspose is: its "input" is the transposed conv's output y
     * (N,K,O..) and its "output" is x, so {@code geometry.p()/q()} equal x's spatial dims.
     */
    ConvGeometry transposedGeometry(int[] x, int[] w) {
        int k = w[1] * group;
        if (spatial == 1)
            return new ConvGeometry(x[0], k, 1, out[0], x[1], group, 1, kernel[0], 1, strides[0], 0, padBegin[0], 0, padEnd[0], 1, dilations[0]);
        return new ConvGeometry(x[0], k, out[0], out[1], x[1], group, kernel[0], kernel[1], strides[0], strides[1],
                padBegin[0], padBegin[1], padEnd[0], padEnd[1], dilations[0], dilations[1]);
    }

    private static int checkRanks(Node node, int[] x, int[] w) {
        if (x.length < 3) throw new NnzipException(node.describe() + ": input must have rank >= 3 (N,C,spatial...), got " + x.length);
        if (w.length != x.length) throw new NnzipException(node.describe() + ": weight rank " + w.length + " differs from input rank " + x.length);
        return x.length - 2;
    }

    private static int[] kernel(Node node, int[] w, int sp) {
        long[] ks = node.attrInts("kernel_shape", null);
        int[] k = new int[sp];
        for (int i = 0; i < sp; i++) {
            k[i] = ks != null ? (int) ks[i] : w[i + 2];
            if (ks != null && w[i + 2] >= 0 && ks[i] != w[i + 2])
                throw new NnzipException(node.describe() + ": kernel_shape " + java.util.Arrays.toString(ks) + " disagrees with the weight's shape");
            if (k[i] < 0) throw new NnzipException(node.describe() + ": kernel size unknown");
        }
        return k;
    }

    private static int[] ints(Node node, String name, int sp, int dflt) {
        long[] v = node.attrInts(name, null);
        int[] r = new int[sp];
        for (int i = 0; i < sp; i++) r[i] = v == null ? dflt : (int) v[i];
        if (v != null && v.length != sp) throw new NnzipException(node.describe() + ": " + name + " has " + v.length + " values, expected " + sp);
        return r;
    }

    private static int group(Node node) {
        long g = node.attrInt("group", 1);
        if (g < 1) throw new NnzipException(node.describe() + ": group must be positive, got " + g);
        return (int) g;
    }

    private static String autoPad(Node node) {
        String a = node.attrString("auto_pad", "NOTSET");
        return switch (a) {
            case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" -> a;
            default -> throw new UnsupportedOpException(node.opType() + " auto_pad=" + a);
        };
    }
}
