package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Session 13's direct sparse convolution, kept for SparseProfileMain's A/B against {@link SparseDirect}.
 * Direct sparse convolution (stride 1, group 1), no unfolded input: each image is copied once into a zero-bordered
 * plane per channel, (H + pads) × Wp, and read as a flat array. An output position (i, j) becomes o = i·Wp + j on
 * that grid, and a nonzero weight at (c, r, s) reads the input at o + c·plane + r·dil·Wp + s·dil — one offset per
 * nonzero, the same for every position. So an output channel is a 1-D sweep over o: per nonzero, a broadcast FMA
 * over contiguous input, with four vectors of positions held in registers across the channel's nonzeros (CSR over
 * output channels). Positions in the Wp − Q border columns are computed and dropped (Wp/Q extra work: 16/14 on a
 * 14² padded-by-1 layer) instead of being gathered around.
 */
final class SparseDirectOld {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private SparseDirectOld() {}

    /** Whether this geometry runs direct (else the im2col path of {@link SparseConv}). */
    static boolean fits(ConvGeometry g) { return g.group() == 1 && g.strideH() == 1 && g.strideW() == 1; }

    static void forward(ConvGeometry g, SparseRows sp, float[] x, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        int p = g.p(), q = g.q(), hp = g.h() + g.padTop() + g.padBottom(), wp = g.w() + g.padLeft() + g.padRight(), plane = hp * wp;
        int m = (p * wp + L - 1) / L * L, pq = p * q, hw = g.h() * g.w(), chw = g.c() * hw, k = g.k();
        int outPlane = pool == null ? pq : pool.out(p, true) * pool.out(q, false);
        int[] start = sp.start(), cols = sp.col();
        float[] val = sp.val();
        int[] off = new int[cols.length];
        int rs = g.r() * g.s();
        for (int e = 0; e < cols.length; e++) {
            int c = cols[e] / rs, t = cols[e] % rs;
            off[e] = c * plane + (t / g.s()) * g.dilH() * wp + (t % g.s()) * g.dilW();
        }
        // reads reach o + the largest offset, o < m: the scratch is zero past the last plane
        int padded = g.c() * plane + m + (g.r() - 1) * g.dilH() * wp + (g.s() - 1) * g.dilW();
        Parallel.Range body = (lo, hi) -> {
            float[][] sc = SCRATCH.get();
            float[] xp = grow(sc, 0, padded), acc = grow(sc, 1, m), tmp = grow(sc, 2, pq), pooled = grow(sc, 3, pq);
            java.util.Arrays.fill(xp, 0f); // borders and tail stay zero; the interiors are overwritten per image
            for (int img = lo; img < hi; img++) {
                for (int c = 0; c < g.c(); c++)
                    for (int ih = 0; ih < g.h(); ih++)
                        System.arraycopy(x, img * chw + c * hw + ih * g.w(), xp, c * plane + (ih + g.padTop()) * wp + g.padLeft(), g.w());
                for (int o = 0; o < k; o++) {
                    sweep(xp, start[o], start[o + 1], off, val, m, acc);
                    // the valid Q columns of each of the P rows, then the dense path's epilogue
                    for (int i = 0; i < p; i++) System.arraycopy(acc, i * wp, tmp, i * q, q);
                    float bo = bias == null ? 0f : bias[o];
                    int dst = (img * k + o) * outPlane;
                    if (pool == null) MaxPoolEpilogue.biasAct(tmp, 0, y, dst, pq, bo, relu);
                    else MaxPoolEpilogue.maxPool(tmp, 0, p, q, pool, bo, relu, y, dst, pooled);
                }
            }
        };
        if (par != null && par.threads() > 1 && g.n() > 1) par.forRange(g.n(), 1, body);
        else body.run(0, g.n());
    }

    // acc[o] = Σ_e val[e]·xp[off[e] + o] for o < m (a multiple of L)
    private static void sweep(float[] xp, int e0, int e1, int[] off, float[] val, int m, float[] acc) {
        int o = 0;
        // eight chains cover the FMA latency on two FMA pipes; four where fewer positions are left
        for (; o + 8 * L <= m; o += 8 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int e = e0; e < e1; e++) {
                FloatVector w = FloatVector.broadcast(S, val[e]);
                int b = off[e] + o;
                a0 = FloatVector.fromArray(S, xp, b).fma(w, a0);
                a1 = FloatVector.fromArray(S, xp, b + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, xp, b + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, xp, b + 3 * L).fma(w, a3);
                a4 = FloatVector.fromArray(S, xp, b + 4 * L).fma(w, a4);
                a5 = FloatVector.fromArray(S, xp, b + 5 * L).fma(w, a5);
                a6 = FloatVector.fromArray(S, xp, b + 6 * L).fma(w, a6);
                a7 = FloatVector.fromArray(S, xp, b + 7 * L).fma(w, a7);
            }
            a0.intoArray(acc, o);
            a1.intoArray(acc, o + L);
            a2.intoArray(acc, o + 2 * L);
            a3.intoArray(acc, o + 3 * L);
            a4.intoArray(acc, o + 4 * L);
            a5.intoArray(acc, o + 5 * L);
            a6.intoArray(acc, o + 6 * L);
            a7.intoArray(acc, o + 7 * L);
        }
        for (; o + 4 * L <= m; o += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int e = e0; e < e1; e++) {
                FloatVector w = FloatVector.broadcast(S, val[e]);
                int b = off[e] + o;
                a0 = FloatVector.fromArray(S, xp, b).fma(w, a0);
                a1 = FloatVector.fromArray(S, xp, b + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, xp, b + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, xp, b + 3 * L).fma(w, a3);
            }
            a0.intoArray(acc, o);
            a1.intoArray(acc, o + L);
            a2.intoArray(acc, o + 2 * L);
            a3.intoArray(acc, o + 3 * L);
        }
        for (; o < m; o += L) {
            FloatVector a0 = FloatVector.zero(S);
            for (int e = e0; e < e1; e++) a0 = FloatVector.fromArray(S, xp, off[e] + o).fma(FloatVector.broadcast(S, val[e]), a0);
            a0.intoArray(acc, o);
        }
    }

    private static float[] grow(float[][] s, int i, int size) {
        if (s[i].length < size) s[i] = new float[size];
        return s[i];
    }
}
