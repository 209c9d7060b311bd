package io.nnzip.engine.ops;

import io.nnzip.engine.ops.support.PoolGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector part of a float32 MaxPool output row: output columns whose windows lie wholly inside the input
 * (no padding, dilation 1 along W) are computed 16 at a time, loading inputs contiguously (stride 1) or with a
 * stride-2 gather. The caller computes the remaining columns.
 */
final class MaxPoolVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int[] EVERY_OTHER = new int[S.length()];

    static {
        for (int i = 0; i < EVERY_OTHER.length; i++) EVERY_OTHER[i] = 2 * i;
    }

    private MaxPoolVector() {}

    /**
     * Fills y[yRow + ow] for ow in the returned [lo, hi) from the window rows [d0, d1) x [h0, h1) of the plane at xo.
     */
    static int[] row(PoolGeometry g, float[] x, int xo, float[] y, int yRow, int d0, int d1, int h0, int h1) {
        int H = g.in[1], W = g.in[2], s = g.stride[2], k = g.k[2], pb = g.padBegin[2], L = S.length();
        int lo = (pb + s - 1) / s, hi = Math.min(g.out[2], Math.floorDiv(W - k + pb, s) + 1);
        if (hi - lo < L || d0 >= d1 || h0 >= h1) return new int[] {0, 0};
        int end = lo + (hi - lo) / L * L;
        for (int ow = lo; ow < end; ow += L) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int d = d0; d < d1; d += g.dil[0])
                for (int h = h0; h < h1; h += g.dil[1]) {
                    int base = xo + (d * H + h) * W + ow * s - pb;
                    for (int kw = 0; kw < k; kw++)
                        m = m.max(s == 1 ? FloatVector.fromArray(S, x, base + kw) : FloatVector.fromArray(S, x, base + kw, EVERY_OTHER, 0));
                }
            m.intoArray(y, yRow + ow);
        }
        return new int[] {lo, end};
    }
}
