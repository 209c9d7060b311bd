package io.nnzip.engine.ops.support;

import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;

/** Axis lists given either as an INTS attribute (older opsets) or as an int64 input (newer opsets). */
public final class Axes {
    private Axes() {}

    /** Axes from attribute {@code attr} if present, else from input {@code inputIndex}; null when neither is given. */
    public static long[] of(Node n, Tensor[] in, String attr, int inputIndex) {
        long[] a = n.attrInts(attr, null);
        if (a != null) return a;
        if (inputIndex < in.length && in[inputIndex] != null) return in[inputIndex].toLongs();
        return null;
    }

    /** Normalizes axes against {@code rank}, rejecting out-of-range and repeated ones. */
    public static int[] normalize(Node n, long[] axes, int rank) {
        int[] out = new int[axes.length];
        boolean[] seen = new boolean[Math.max(rank, 0)];
        for (int i = 0; i < axes.length; i++) {
            long a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank) throw new NnzipException(n.describe() + ": axis " + axes[i] + " out of range for rank " + rank);
            if (seen[(int) a]) throw new NnzipException(n.describe() + ": axis " + axes[i] + " repeated");
            seen[(int) a] = true;
            out[i] = (int) a;
        }
        return out;
    }

    /** Marks which of {@code rank} dims are listed. */
    public static boolean[] mask(int[] axes, int rank) {
        boolean[] m = new boolean[rank];
        for (int a : axes) m[a] = true;
        return m;
    }
}
