package io.nnzip.engine.ops.support;

import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.UnsupportedOpException;

/**
 * Window geometry of a pooling op over up to 3 spatial dims (fewer dims are padded with size-1 dims in front).
 * Per dim: output size {@code floor((in + padBegin + padEnd - dil*(k-1) - 1) / stride) + 1} (ceil with ceil_mode,
 * dropping a last window that would start in the end padding), or from auto_pad SAME_UPPER/SAME_LOWER/VALID.
 */
public final class PoolGeometry {
    public final int spatial;
    public final int[] in = new int[3], k = new int[3], stride = new int[3], dil = new int[3], padBegin = new int[3], padEnd = new int[3], out = new int[3];

    private PoolGeometry(int spatial) { this.spatial = spatial; }

    /** Geometry for input spatial dims {@code dims} (x.shape[2:]) from the node's pooling attributes. */
    public static PoolGeometry of(Node n, int[] dims) {
        int r = dims.length;
        if (r < 1 || r > 3) throw new UnsupportedOpException(n.opType() + " with " + r + " spatial dims");
        long[] ks = n.attrInts("kernel_shape", null);
        if (ks == null || ks.length != r) throw new NnzipException(n.opType() + ": kernel_shape must have " + r + " entries");
        long[] st = n.attrInts("strides", null), dl = n.attrInts("dilations", null), pads = n.attrInts("pads", null);
        String autoPad = n.attrString("auto_pad", "NOTSET");
        boolean ceil = n.attrInt("ceil_mode", 0) == 1;
        PoolGeometry g = new PoolGeometry(r);
        for (int i = 0; i < 3; i++) {
            g.in[i] = g.k[i] = g.stride[i] = g.dil[i] = g.out[i] = 1;
        }
        for (int j = 0; j < r; j++) {
            int i = 3 - r + j;
            int size = dims[j], kk = (int) ks[j], s = st == null ? 1 : (int) st[j], d = dl == null ? 1 : (int) dl[j];
            if (kk <= 0 || s <= 0 || d <= 0) throw new NnzipException(n.opType() + ": kernel, strides and dilations must be positive");
            int span = d * (kk - 1) + 1, pb = 0, pe = 0, o;
            switch (autoPad) {
                case "NOTSET" -> {
                    if (pads != null) {
                        pb = (int) pads[j];
                        pe = (int) pads[j + r];
                    }
                    int num = size + pb + pe - span;
                    o = (ceil ? Math.floorDiv(num + s - 1, s) : Math.floorDiv(num, s)) + 1;
                    if (ceil && (o - 1) * s >= size + pb) o--;
                }
                case "VALID" -> o = Math.floorDiv(size - span, s) + 1;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    o = (size + s - 1) / s;
                    int total = Math.max(0, (o - 1) * s + span - size);
                    pb = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    pe = total - pb;
                }
                default -> throw new UnsupportedOpException(n.opType() + " auto_pad=" + autoPad);
            }
            if (o <= 0) throw new NnzipException(n.opType() + ": kernel " + kk + " does not fit input dim " + size);
            g.in[i] = size;
            g.k[i] = kk;
            g.stride[i] = s;
            g.dil[i] = d;
            g.padBegin[i] = pb;
            g.padEnd[i] = pe;
            g.out[i] = o;
        }
        return g;
    }

    public int inPlane() { return in[0] * in[1] * in[2]; }

    public int outPlane() { return out[0] * out[1] * out[2]; }

    /** The output spatial dims, as many as the input has. */
    public int[] outDims() { return java.util.Arrays.copyOfRange(out, 3 - spatial, 3); }
}
