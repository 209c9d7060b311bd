package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct sparse convolution (stride 1, group 1), no unfolded input: each image is copied once into a zero-bordered
 * plane per channel, Hp × Wp, and read as a flat array. An output position (i, j) becomes o = i·Wp + j on that grid,
 * and a nonzero weight at (c, r, s) reads the input at o + c·plane + r·dil·Wp + s·dil — one offset per nonzero, the
 * same for every position. So an output channel is a 1-D sweep over o: per nonzero, a broadcast FMA over contiguous
 * input, the positions' vectors held in registers across the channel's nonzeros (CSR over output channels).
 * Positions in the Wp − Q border columns are computed and dropped instead of being gathered around.
 * <p>Two things keep a small layer (7×7, 64→128 in the 3-conv CNN) from being bound by latency and waste:
 * <ul>
 * <li>Under a fused 2×2 max-pool only the rows and columns the pool reads are computed (6 of 7 on a 7×7 map), and
 * the grid is cut to what they read (Wp 8 instead of 9): 3 vectors per image and nonzero instead of 4.</li>
 * <li>Several images are swept together ({@link #images}): a nonzero's offset and broadcast serve the same positions of
 * each, so one channel's sweep has 6–8 independent FMA chains instead of 3–4 (two FMA pipes × 4 cycles of latency
 * want 8), while the images' planes still fit L1.</li>
 * </ul>
 * When a grid row is exactly one vector and the pool reads 14 rows (the 14×14 layer on 16-float vectors), each pair of
 * rows is reduced in registers and only the 7 row maxima touch memory ({@link #sweepRowsPooled}). Otherwise, under
 * that pool, 16 channels' grids are swept back to back, pooled in one flat pass and gathered into Y with the
 * bias and ReLU: pooling 3-float rows one channel at a time was a quarter of the 7×7 layer's time.
 */
final class SparseDirect {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);
    /** Bytes of padded input planes swept together: Zen 5 and recent Xeons have 48 KB of L1D; the rest is left to the output and weights. */
    static volatile int l1Bytes = Integer.getInteger("nnzip.sparseDirectL1", 36 << 10);
    /** Images per sweep when positive ({@code -Dnnzip.sparseDirectImages}); else chosen from {@link #l1Bytes}. */
    static volatile int imagesOverride = Integer.getInteger("nnzip.sparseDirectImages", 0);

    /** Whether a 14-row pooled grid of one vector per row is pooled in registers ({@link #sweepRowsPooled}); off for comparisons. */
    static volatile boolean rowsInRegisters = !Boolean.getBoolean("nnzip.sparseDirectNoRows");

    private SparseDirect() {}

    /** Whether this geometry runs direct (else the im2col path of {@link SparseConv}). */
    static boolean fits(ConvGeometry g) { return g.group() == 1 && g.strideH() == 1 && g.strideW() == 1; }

    private static boolean pool2x2(Conv2d.Pool pool, int p, int q) {
        return pool != null && pool.kh() == 2 && pool.kw() == 2 && pool.sh() == 2 && pool.sw() == 2 && p >= 2 && q >= 2;
    }

    /** Images swept together for a plane set of {@code floats} floats and {@code vectors} vectors of positions per image. */
    static int images(int floats, int vectors, int n) {
        if (imagesOverride > 0) return Math.min(imagesOverride, n);
        int g = Math.max(1, Math.min(l1Bytes / (4 * floats), (8 + vectors - 1) / vectors));
        return Math.min(g, n);
    }

    static void forward(ConvGeometry g, SparseRows sp, float[] x, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        int p = g.p(), q = g.q(), k = g.k(), ci = g.c(), h = g.h(), w = g.w();
        boolean fast = pool2x2(pool, p, q);
        int pp = pool == null ? p : pool.out(p, true), qq = pool == null ? q : pool.out(q, false), outPlane = pp * qq;
        // the output rows and columns anything reads, and the input grid those read
        int pn = fast ? 2 * pp : p, qn = fast ? 2 * qq : q, dh = (g.r() - 1) * g.dilH(), dw = (g.s() - 1) * g.dilW();
        int hp = pn + dh, wp = qn + dw;
        if (fast && (wp & 1) == 1) wp++; // the pool pairs columns of the flat grid: rows must start on even positions
        int plane = hp * wp, m = (pn * wp + L - 1) / L * L, hw = h * w, chw = ci * hw, imgStride = ci * plane;
        int rowsIn = Math.max(0, Math.min(h, hp - g.padTop())), colsIn = Math.max(0, Math.min(w, wp - g.padLeft()));
        int[] start = sp.start(), cols = sp.col();
        float[] val = sp.val();
        int[] off = new int[cols.length];
        int rs = g.r() * g.s();
        for (int e = 0; e < cols.length; e++) {
            int c = cols[e] / rs, t = cols[e] % rs;
            off[e] = c * plane + (t / g.s()) * g.dilH() * wp + (t % g.s()) * g.dilW();
        }
        int per = par == null || par.threads() <= 1 ? g.n() : (g.n() + par.threads() - 1) / par.threads();
        int gi = images(imgStride, m / L, per), groups = (g.n() + gi - 1) / gi, vecs = gi * m / L;
        int[] base = new int[vecs];
        for (int b = 0, t = 0; b < gi; b++)
            for (int o = 0; o < m; o += L) base[t++] = b * imgStride + o;
        // reads reach the last image's o + the largest offset, o < m; garbage positions may read anything in range
        int padded = gi * imgStride + m + dh * wp + dw;
        int accLen = (gi * m + 2 * wp + 5 * L) / L * L; // a whole number of vectors: the second buffer keeps the stores aligned
        int fw = wp, gm = gi * m;
        boolean rows14 = rowsInRegisters && fast && wp == L && pn == 14 && qq <= L / 2;
        // the pooled path: a block of CH channels' grids back to back, pooled in one flat pass, then gathered into Y
        // (the row-pair path reads neither table)
        int[] gather = fast && !rows14 ? gatherIndex(Math.min(CH, k), gm, fw, pp, qq) : null;
        float[] biasX = fast && !rows14 ? expandedBias(bias, k, outPlane) : null;
        int chunkLen = (Math.min(CH, k) * gm + fw + 3 * L) / L * L;
        Parallel.Range body = (lo, hi) -> {
            float[][] sc = SCRATCH.get();
            float[] xp = grow(sc, 0, padded), acc = grow(sc, 1, fast ? chunkLen : 2 * accLen), tmp = grow(sc, 2, p * q), pooled = grow(sc, 3, p * q);
            java.util.Arrays.fill(xp, 0f); // borders and tail stay zero; the interiors are overwritten per image
            for (int gr = lo; gr < hi; gr++) {
                int img0 = gr * gi, cnt = Math.min(gi, g.n() - img0);
                for (int b = 0; b < cnt; b++)
                    for (int c = 0; c < ci; c++) copyPlane(x, (img0 + b) * chw + c * hw, w, rowsIn, colsIn, xp, b * imgStride + c * plane + g.padTop() * fw + g.padLeft(), fw);
                if (rows14) {
                    for (int b = 0; b < cnt; b++)
                        for (int o = 0; o < k; o++)
                            sweepRowsPooled(xp, start[o], start[o + 1], off, val, b * imgStride, bias == null ? 0f : bias[o], relu, y, ((img0 + b) * k + o) * outPlane, qq, acc);
                    continue;
                }
                if (fast) {
                    for (int o0 = 0; o0 < k; o0 += CH) {
                        int nch = Math.min(CH, k - o0);
                        for (int o = o0; o < o0 + nch; o++) sweep(xp, start[o], start[o + 1], off, val, base, acc, (o - o0) * gm);
                        pool2x2(acc, nch * gm, fw);
                        for (int b = 0; b < cnt; b++) emit(acc, b * m, gather, biasX, o0 * outPlane, nch * outPlane, relu, y, ((img0 + b) * k + o0) * outPlane);
                    }
                    continue;
                }
                // channel o's epilogue runs after channel o + 1's sweep: its stores have left the store buffer by then (a
                // pool's unaligned reads of a just-stored vector would each wait for the store to retire)
                for (int o = 0; o <= k; o++) {
                    if (o < k) sweep(xp, start[o], start[o + 1], off, val, base, acc, (o & 1) * accLen);
                    if (o == 0) continue;
                    int prev = o - 1, half = (prev & 1) * accLen;
                    float bo = bias == null ? 0f : bias[prev];
                    for (int b = 0; b < cnt; b++) {
                        int dst = ((img0 + b) * k + prev) * outPlane, a = half + b * m;
                        if (pool == null) for (int i = 0; i < p; i++) MaxPoolEpilogue.biasAct(acc, a + i * fw, y, dst + i * q, q, bo, relu);
                        else {
                            for (int i = 0; i < p; i++) System.arraycopy(acc, a + i * fw, tmp, i * q, q);
                            MaxPoolEpilogue.maxPool(tmp, 0, p, q, pool, bo, relu, y, dst, pooled);
                        }
                    }
                }
            }
        };
        if (par != null && par.threads() > 1 && groups > 1) par.forRange(groups, 1, body);
        else body.run(0, groups);
    }

    // rows of a short width as masked vector moves: System.arraycopy's call costs more than the move for 7–14 floats
    private static void copyPlane(float[] x, int src, int w, int rows, int cols, float[] xp, int dst, int wp) {
        if (cols > L) {
            for (int i = 0; i < rows; i++) System.arraycopy(x, src + i * w, xp, dst + i * wp, cols);
            return;
        }
        VectorMask<Float> m = S.indexInRange(0, cols);
        for (int i = 0; i < rows; i++) FloatVector.fromArray(S, x, src + i * w, m).intoArray(xp, dst + i * wp, m);
    }

    /** Output channels whose grids are pooled together (16 × a 2-image 7×7 layer's 96 floats: 6 KB, within L1 next to the input). */
    private static final int CH = 16;

    /** Where output n of a block of channels (channel n / (pp·qq), row, column) sits in the pooled flat grids of image 0. */
    private static int[] gatherIndex(int ch, int gm, int wp, int pp, int qq) {
        int outPlane = pp * qq, len = ch * outPlane;
        int[] ix = new int[(len + L - 1) / L * L];
        for (int n = 0; n < len; n++) {
            int o = n / outPlane, r = n % outPlane;
            ix[n] = o * gm + 2 * (r / qq) * wp + 2 * (r % qq);
        }
        return ix;
    }

    /** bias[o] repeated over each channel's pooled plane (zeros for none), so the gathered vectors take it by one add. */
    private static float[] expandedBias(float[] bias, int k, int outPlane) {
        float[] bx = new float[k * outPlane + L];
        if (bias != null) for (int o = 0; o < k; o++) java.util.Arrays.fill(bx, o * outPlane, (o + 1) * outPlane, bias[o]);
        return bx;
    }

    /**
     * In place over grids of row stride wp, t &lt; len: t becomes the max of t, t + 1, t + wp, t + wp + 1 (a 2×2 window's
     * max lands on its top-left position). Each vector reads only positions at or after the ones it writes.
     */
    private static void pool2x2(float[] acc, int len, int wp) {
        for (int t = 0; t < len; t += L) {
            FloatVector top = FloatVector.fromArray(S, acc, t).max(FloatVector.fromArray(S, acc, t + 1));
            FloatVector bottom = FloatVector.fromArray(S, acc, t + wp).max(FloatVector.fromArray(S, acc, t + wp + 1));
            top.max(bottom).intoArray(acc, t);
        }
    }

    /** y[dst + n] = act(acc[a + ix[n]] + biasX[bOff + n]) for n &lt; len: one gather per vector of outputs. */
    private static void emit(float[] acc, int a, int[] ix, float[] biasX, int bOff, int len, boolean relu, float[] y, int dst) {
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        int n = 0;
        for (; n + L <= len; n += L)
            FloatVector.fromArray(S, acc, a, ix, n).add(FloatVector.fromArray(S, biasX, bOff + n)).max(floor).intoArray(y, dst + n);
        if (n < len) {
            VectorMask<Float> m = S.indexInRange(n, len);
            FloatVector.fromArray(S, acc, a, ix, n, m).add(FloatVector.fromArray(S, biasX, bOff + n)).max(floor).intoArray(y, dst + n, m);
        }
    }

    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> (2 * i) % L), ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);

    /**
     * One output channel of one image when a grid row is one vector (wp = L) and the 2×2 pool reads 14 rows: rows 0–7,
     * then 8–13, are summed in registers over the nonzeros and each pair of rows is reduced to its max there; the 7
     * row maxima go to {@code pairs}, whose even and odd lanes are then paired by permutes, biased, rectified and stored
     * as pooled rows of qq floats. 7 vector stores and no gathers instead of 14 stores, a pool pass over them and a
     * gather per 16 outputs: a third of the 14×14 layer's call at 90 % went to those. (Pooling whole rows in registers
     * was slower: C2's inlining budget ran out in the epilogue and the vectors were boxed; so was one pass of 14.)
     */
    private static void sweepRowsPooled(float[] xp, int e0, int e1, int[] off, float[] val, int img, float bias, boolean relu, float[] y, int dst, int qq, float[] pairs) {
        rows8(xp, e0, e1, off, val, img, pairs);
        rows6(xp, e0, e1, off, val, img + 8 * L, pairs);
        VectorMask<Float> m = S.indexInRange(0, qq);
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int i = 0; i < 7; i++) {
            FloatVector v = FloatVector.fromArray(S, pairs, i * L);
            v.rearrange(EVEN).max(v.rearrange(ODD)).add(bias).max(floor).intoArray(y, dst + i * qq, m);
        }
    }

    private static void rows8(float[] xp, int e0, int e1, int[] off, float[] val, int img, float[] pairs) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e] + img;
            a0 = FloatVector.fromArray(S, xp, b).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + L).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + 2 * L).fma(w, a2);
            a3 = FloatVector.fromArray(S, xp, b + 3 * L).fma(w, a3);
            a4 = FloatVector.fromArray(S, xp, b + 4 * L).fma(w, a4);
            a5 = FloatVector.fromArray(S, xp, b + 5 * L).fma(w, a5);
            a6 = FloatVector.fromArray(S, xp, b + 6 * L).fma(w, a6);
            a7 = FloatVector.fromArray(S, xp, b + 7 * L).fma(w, a7);
        }
        a0.max(a1).intoArray(pairs, 0);
        a2.max(a3).intoArray(pairs, L);
        a4.max(a5).intoArray(pairs, 2 * L);
        a6.max(a7).intoArray(pairs, 3 * L);
    }

    private static void rows6(float[] xp, int e0, int e1, int[] off, float[] val, int img, float[] pairs) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e] + img;
            a0 = FloatVector.fromArray(S, xp, b).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + L).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + 2 * L).fma(w, a2);
            a3 = FloatVector.fromArray(S, xp, b + 3 * L).fma(w, a3);
            a4 = FloatVector.fromArray(S, xp, b + 4 * L).fma(w, a4);
            a5 = FloatVector.fromArray(S, xp, b + 5 * L).fma(w, a5);
        }
        a0.max(a1).intoArray(pairs, 4 * L);
        a2.max(a3).intoArray(pairs, 5 * L);
        a4.max(a5).intoArray(pairs, 6 * L);
    }

    // acc[accOff + t·L ..] = Σ_e val[e]·xp[off[e] + base[t] ..] for every vector t of positions: up to 8 chains at once
    private static void sweep(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, float[] acc, int accOff) {
        int t = 0, v = base.length;
        while (t < v) {
            int left = v - t;
            if (left >= 8 && left != 9) {
                sweep8(xp, e0, e1, off, val, base, t, acc, accOff);
                t += 8;
            } else if (left == 6 || left == 9) {
                sweep6(xp, e0, e1, off, val, base, t, acc, accOff);
                t += 6;
            } else if (left >= 4) {
                sweep4(xp, e0, e1, off, val, base, t, acc, accOff);
                t += 4;
            } else if (left == 3) {
                sweep3(xp, e0, e1, off, val, base, t, acc, accOff);
                t += 3;
            } else {
                sweep1(xp, e0, e1, off, val, base, t, acc, accOff);
                t += 1;
            }
        }
    }

    private static void sweep8(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, int t, float[] acc, int accOff) {
        int o0 = base[t], o1 = base[t + 1], o2 = base[t + 2], o3 = base[t + 3], o4 = base[t + 4], o5 = base[t + 5], o6 = base[t + 6], o7 = base[t + 7];
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e];
            a0 = FloatVector.fromArray(S, xp, b + o0).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + o1).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + o2).fma(w, a2);
            a3 = FloatVector.fromArray(S, xp, b + o3).fma(w, a3);
            a4 = FloatVector.fromArray(S, xp, b + o4).fma(w, a4);
            a5 = FloatVector.fromArray(S, xp, b + o5).fma(w, a5);
            a6 = FloatVector.fromArray(S, xp, b + o6).fma(w, a6);
            a7 = FloatVector.fromArray(S, xp, b + o7).fma(w, a7);
        }
        int at = accOff + t * L;
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + L);
        a2.intoArray(acc, at + 2 * L);
        a3.intoArray(acc, at + 3 * L);
        a4.intoArray(acc, at + 4 * L);
        a5.intoArray(acc, at + 5 * L);
        a6.intoArray(acc, at + 6 * L);
        a7.intoArray(acc, at + 7 * L);
    }

    private static void sweep6(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, int t, float[] acc, int accOff) {
        int o0 = base[t], o1 = base[t + 1], o2 = base[t + 2], o3 = base[t + 3], o4 = base[t + 4], o5 = base[t + 5];
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e];
            a0 = FloatVector.fromArray(S, xp, b + o0).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + o1).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + o2).fma(w, a2);
            a3 = FloatVector.fromArray(S, xp, b + o3).fma(w, a3);
            a4 = FloatVector.fromArray(S, xp, b + o4).fma(w, a4);
            a5 = FloatVector.fromArray(S, xp, b + o5).fma(w, a5);
        }
        int at = accOff + t * L;
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + L);
        a2.intoArray(acc, at + 2 * L);
        a3.intoArray(acc, at + 3 * L);
        a4.intoArray(acc, at + 4 * L);
        a5.intoArray(acc, at + 5 * L);
    }

    private static void sweep4(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, int t, float[] acc, int accOff) {
        int o0 = base[t], o1 = base[t + 1], o2 = base[t + 2], o3 = base[t + 3];
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e];
            a0 = FloatVector.fromArray(S, xp, b + o0).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + o1).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + o2).fma(w, a2);
            a3 = FloatVector.fromArray(S, xp, b + o3).fma(w, a3);
        }
        int at = accOff + t * L;
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + L);
        a2.intoArray(acc, at + 2 * L);
        a3.intoArray(acc, at + 3 * L);
    }

    private static void sweep3(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, int t, float[] acc, int accOff) {
        int o0 = base[t], o1 = base[t + 1], o2 = base[t + 2];
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0;
        for (int e = e0; e < e1; e++) {
            FloatVector w = FloatVector.broadcast(S, val[e]);
            int b = off[e];
            a0 = FloatVector.fromArray(S, xp, b + o0).fma(w, a0);
            a1 = FloatVector.fromArray(S, xp, b + o1).fma(w, a1);
            a2 = FloatVector.fromArray(S, xp, b + o2).fma(w, a2);
        }
        int at = accOff + t * L;
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + L);
        a2.intoArray(acc, at + 2 * L);
    }

    private static void sweep1(float[] xp, int e0, int e1, int[] off, float[] val, int[] base, int t, float[] acc, int accOff) {
        int o0 = base[t];
        FloatVector a0 = FloatVector.zero(S);
        for (int e = e0; e < e1; e++) a0 = FloatVector.fromArray(S, xp, off[e] + o0).fma(FloatVector.broadcast(S, val[e]), a0);
        a0.intoArray(acc, accOff + t * L);
    }

    private static float[] grow(float[][] s, int i, int size) {
        if (s[i].length < size) s[i] = new float[size];
        return s[i];
    }
}
