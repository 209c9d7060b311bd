package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct convolution for layers with very few taps per output (C·R·S small, e.g. a first layer on a one-channel
 * image): as a GEMM their depth is so short that unfolding, storing the product tile and re-reading it for the
 * epilogue cost more than the multiply-adds. Here each image is copied once into a zero-bordered buffer so every
 * tap is a plain unmasked vector load, and a block of 4 output channels × 2 output rows × 2L output columns stays
 * in 16 vector registers across all taps; bias, ReLU and a 2×2 stride-2 max-pool are applied in registers before
 * the single store. With the pool, the bordered planes are split into their even and odd columns, so the block holds
 * even and odd output columns in separate vectors and the pool is lane-wise (no lane shuffles), and the pooled rows
 * are stored full-width wherever the spill lands on outputs of the same plane that a later block overwrites: a
 * masked store of a partial vector measured slower than the whole conv's multiply-adds on Zen 5 (conv1 of the CNN,
 * one thread: 1.5 ms with full-width stores and split planes against 2.0 ms masked and shuffled).
 * <pre>x: (N,C,H,W), w: (K,C,R,S), bias: (K) or null -> y: (N,K,P,Q), or (N,K,P/2,Q/2) pooled; stride 1, dilation 1, group 1</pre>
 */
final class DirectConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), COLS = 2 * L, KB = 4;
    /** Above this many taps per output the packed GEMM path wins. */
    static final int MAX_TAPS = 16;

    /**
     * Per thread: the bordered planes and the spill tile. The team takes a pass's items in a dozen or more ranges, and a
     * fresh bordered buffer per range was most of an inference pass's garbage (memory the OS faults in and the JVM
     * zeroes while the other thread waits).
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private DirectConv() {}

    static boolean applies(ConvGeometry g, Conv2d.Pool pool) {
        boolean pool2x2 = pool == null || pool.kh() == 2 && pool.kw() == 2 && pool.sh() == 2 && pool.sw() == 2 && g.p() >= 2 && g.q() >= 2;
        return g.group() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.dilH() == 1 && g.dilW() == 1
                && g.colRows() <= MAX_TAPS && g.p() * g.q() >= COLS && pool2x2;
    }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        int blocks = (g.k() + KB - 1) / KB, items = g.n() * blocks;
        Parallel.Range run = pool != null ? (lo, hi) -> pooledItems(g, x, w, bias, y, relu, lo, hi, blocks)
                : (lo, hi) -> items(g, x, w, bias, y, relu, lo, hi, blocks);
        // taken as threads come free (see LaneConv), at least an image per range so few images are bordered twice
        if (par.threads() > 1 && g.macs() >= Sgemm.PARALLEL_MIN_MACS && items > 1) par.forGuided(items, blocks, run);
        else run.run(0, items);
    }

    // work items [lo, hi): item = image·blocks + channel block; an image is re-bordered only when it changes
    private static void items(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, int lo, int hi, int blocks) {
        int p = g.p(), q = g.q(), colBlocks = (q + COLS - 1) / COLS;
        // rows: one spare so an odd last output row can be computed as a pair; columns: the last block's overrun
        int hb = p + 1 + g.r() - 1, wb = GemmBlocked.roundUp(colBlocks * COLS + g.s() - 1, L), plane = hb * wb;
        float[] xb = zeroed(0, g.c() * plane);
        int rs = g.r() * g.s();
        int[] tap = new int[g.colRows()];
        float[] tile = zeroed(1, KB * 4 * L);
        for (int t = 0; t < tap.length; t++) tap[t] = t / rs * plane + t % rs / g.s() * wb + t % g.s();
        int outPlane = p * q;
        int current = -1;
        for (int item = lo; item < hi; item++) {
            int n = item / blocks, k0 = (item % blocks) * KB;
            if (n != current) {
                border(g, x, n, xb, hb, wb);
                current = n;
            }
            int yImg = n * g.k() * outPlane;
            for (int i = 0; i < p; i += 2)
                for (int cb = 0; cb < colBlocks; cb++) {
                    block(g, xb, wb, tap, w, k0, i, cb * COLS, tile);
                    epilogue(tile, k0, g.k() - 1, bias, i, cb * COLS, relu, y, yImg, p, q);
                }
        }
    }

    // this thread's scratch array i, its first `size` floats zero (the border must be, whatever the last conv left)
    private static float[] zeroed(int i, int size) {
        float[][] s = SCRATCH.get();
        if (s[i].length < size) s[i] = new float[size];
        else java.util.Arrays.fill(s[i], 0, size, 0f);
        return s[i];
    }

    // the image's channels into the interior of a zeroed (hb, wb) buffer per channel, at (padTop, padLeft)
    private static void border(ConvGeometry g, float[] x, int n, float[] xb, int hb, int wb) {
        int h = g.h(), w = g.w(), plane = hb * wb;
        for (int c = 0; c < g.c(); c++) {
            int src = (n * g.c() + c) * h * w, dst = c * plane + g.padTop() * wb + g.padLeft();
            for (int r = 0; r < h; r++) System.arraycopy(x, src + r * w, xb, dst + r * wb, w);
        }
    }

    // tap[t]: offset of tap t (channel, row, column) in xb; output rows i, i+1, columns [j0, j0 + 2L), channels k0..k0+3 (clamped to K-1; duplicates are not stored)
    private static void block(ConvGeometry g, float[] xb, int wb, int[] tap, float[] w, int k0, int i, int j0, float[] tile) {
        int taps = tap.length, kLast = g.k() - 1, base = i * wb + j0;
        int w0 = k0 * taps, w1 = Math.min(k0 + 1, kLast) * taps, w2 = Math.min(k0 + 2, kLast) * taps, w3 = Math.min(k0 + 3, kLast) * taps;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector b00 = a00, b01 = a00, b02 = a00, b03 = a00, b10 = a00, b11 = a00, b12 = a00, b13 = a00;
        // a: output row i, b: row i+1; first digit: column half, second: channel
        for (int t = 0; t < taps; t++) {
            int o = base + tap[t];
            FloatVector x0 = FloatVector.fromArray(S, xb, o), x1 = FloatVector.fromArray(S, xb, o + L);
            FloatVector z0 = FloatVector.fromArray(S, xb, o + wb), z1 = FloatVector.fromArray(S, xb, o + wb + L);
            FloatVector v = FloatVector.broadcast(S, w[w0 + t]);
            a00 = x0.fma(v, a00); a10 = x1.fma(v, a10); b00 = z0.fma(v, b00); b10 = z1.fma(v, b10);
            v = FloatVector.broadcast(S, w[w1 + t]);
            a01 = x0.fma(v, a01); a11 = x1.fma(v, a11); b01 = z0.fma(v, b01); b11 = z1.fma(v, b11);
            v = FloatVector.broadcast(S, w[w2 + t]);
            a02 = x0.fma(v, a02); a12 = x1.fma(v, a12); b02 = z0.fma(v, b02); b12 = z1.fma(v, b12);
            v = FloatVector.broadcast(S, w[w3 + t]);
            a03 = x0.fma(v, a03); a13 = x1.fma(v, a13); b03 = z0.fma(v, b03); b13 = z1.fma(v, b13);
        }
        // spilled to an L1 tile, then stored by a separate method: one method with both would exceed C2's inlining
        // node budget and box the accumulators
        a00.intoArray(tile, 0); a10.intoArray(tile, L); b00.intoArray(tile, 2 * L); b10.intoArray(tile, 3 * L);
        a01.intoArray(tile, 4 * L); a11.intoArray(tile, 5 * L); b01.intoArray(tile, 6 * L); b11.intoArray(tile, 7 * L);
        a02.intoArray(tile, 8 * L); a12.intoArray(tile, 9 * L); b02.intoArray(tile, 10 * L); b12.intoArray(tile, 11 * L);
        a03.intoArray(tile, 12 * L); a13.intoArray(tile, 13 * L); b03.intoArray(tile, 14 * L); b13.intoArray(tile, 15 * L);
    }

    // the tile of block() (channel kk: rows i, i+1 × columns [j0, j0 + 2L) at tile[kk·4L ..]) through bias, ReLU into y
    private static void epilogue(float[] tile, int k0, int kLast, float[] bias, int i, int j0, boolean relu,
                                 float[] y, int yImg, int pp, int qq) {
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        int pl = pp * qq;
        for (int kk = 0; kk < KB && k0 + kk <= kLast; kk++) {
            int t = kk * 4 * L, k = k0 + kk;
            float b = bias == null ? 0f : bias[k];
            FloatVector r0 = FloatVector.fromArray(S, tile, t), r1 = FloatVector.fromArray(S, tile, t + L);
            FloatVector s0 = FloatVector.fromArray(S, tile, t + 2 * L), s1 = FloatVector.fromArray(S, tile, t + 3 * L);
            int d = yImg + k * pl + i * qq + j0;
            VectorMask<Float> m0 = S.indexInRange(j0, qq), m1 = S.indexInRange(j0 + L, qq);
            r0.add(b).max(floor).intoArray(y, d, m0);
            r1.add(b).max(floor).intoArray(y, d + L, m1);
            if (i + 1 >= pp) continue;
            s0.add(b).max(floor).intoArray(y, d + qq, m0);
            s1.add(b).max(floor).intoArray(y, d + qq + L, m1);
        }
    }

    // pooled items: per image, each channel's bordered plane as two (hb, wh) half planes, even columns then odd
    private static void pooledItems(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, int lo, int hi, int blocks) {
        int p = g.p(), q = g.q(), colBlocks = (q + COLS - 1) / COLS;
        // rows as in items(); a half plane holds every column a block reads: L lanes from at most S/2 past its start
        int hb = p + 1 + g.r() - 1, wh = GemmBlocked.roundUp(colBlocks * L + g.s() + 1, L), half = hb * wh;
        float[] xb = zeroed(0, g.c() * 2 * half);
        int rs = g.r() * g.s(), taps = g.colRows();
        // output column 2c (even) reads padded column 2c + sx, output 2c + 1 reads 2c + 1 + sx
        int[] tapE = new int[taps], tapO = new int[taps];
        for (int t = 0; t < taps; t++) {
            int ry = t % rs / g.s(), sx = t % g.s(), base = t / rs * 2 * half + ry * wh;
            tapE[t] = base + (sx % 2) * half + sx / 2;
            tapO[t] = base + ((sx + 1) % 2) * half + (sx + 1) / 2;
        }
        float[] tile = zeroed(1, KB * L);
        int pp = p / 2, qq = q / 2, outPlane = pp * qq;
        int current = -1;
        for (int item = lo; item < hi; item++) {
            int n = item / blocks, k0 = (item % blocks) * KB;
            if (n != current) {
                splitBorder(g, x, n, xb, half, wh);
                current = n;
            }
            int yImg = n * g.k() * outPlane;
            for (int i = 0; i + 1 < p; i += 2)
                for (int cb = 0; cb < colBlocks; cb++) {
                    pooledBlock(g, xb, wh, tapE, tapO, w, k0, i, cb * L, tile);
                    pooledEpilogue(tile, k0, g.k() - 1, bias, i / 2, cb * L, relu, y, yImg, pp, qq);
                }
        }
    }

    // the image's padded planes, split into even and odd columns; the zero border is never written
    private static void splitBorder(ConvGeometry g, float[] x, int n, float[] xb, int half, int wh) {
        int h = g.h(), w = g.w();
        for (int c = 0; c < g.c(); c++) {
            int src = (n * g.c() + c) * h * w, dst = c * 2 * half + g.padTop() * wh;
            for (int r = 0; r < h; r++)
                for (int col = 0; col < w; col++) {
                    int pc = col + g.padLeft();
                    xb[dst + r * wh + (pc % 2) * half + pc / 2] = x[src + r * w + col];
                }
        }
    }

    // channels k0..k0+3 (clamped), pooled row i/2, pooled columns [c0, c0 + L): the 2×2 max of output rows i, i+1
    private static void pooledBlock(ConvGeometry g, float[] xb, int wh, int[] tapE, int[] tapO, float[] w, int k0, int i, int c0, float[] tile) {
        int taps = tapE.length, kLast = g.k() - 1, base = i * wh + c0;
        int w0 = k0 * taps, w1 = Math.min(k0 + 1, kLast) * taps, w2 = Math.min(k0 + 2, kLast) * taps, w3 = Math.min(k0 + 3, kLast) * taps;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector b00 = a00, b01 = a00, b02 = a00, b03 = a00, b10 = a00, b11 = a00, b12 = a00, b13 = a00;
        // a: output row i, b: row i+1; first digit: even/odd output columns, second: channel
        for (int t = 0; t < taps; t++) {
            int oe = base + tapE[t], oo = base + tapO[t];
            FloatVector x0 = FloatVector.fromArray(S, xb, oe), x1 = FloatVector.fromArray(S, xb, oo);
            FloatVector z0 = FloatVector.fromArray(S, xb, oe + wh), z1 = FloatVector.fromArray(S, xb, oo + wh);
            FloatVector v = FloatVector.broadcast(S, w[w0 + t]);
            a00 = x0.fma(v, a00); a10 = x1.fma(v, a10); b00 = z0.fma(v, b00); b10 = z1.fma(v, b10);
            v = FloatVector.broadcast(S, w[w1 + t]);
            a01 = x0.fma(v, a01); a11 = x1.fma(v, a11); b01 = z0.fma(v, b01); b11 = z1.fma(v, b11);
            v = FloatVector.broadcast(S, w[w2 + t]);
            a02 = x0.fma(v, a02); a12 = x1.fma(v, a12); b02 = z0.fma(v, b02); b12 = z1.fma(v, b12);
            v = FloatVector.broadcast(S, w[w3 + t]);
            a03 = x0.fma(v, a03); a13 = x1.fma(v, a13); b03 = z0.fma(v, b03); b13 = z1.fma(v, b13);
        }
        a00.max(a10).max(b00.max(b10)).intoArray(tile, 0);
        a01.max(a11).max(b01.max(b11)).intoArray(tile, L);
        a02.max(a12).max(b02.max(b12)).intoArray(tile, 2 * L);
        a03.max(a13).max(b03.max(b13)).intoArray(tile, 3 * L);
    }

    private static void pooledEpilogue(float[] tile, int k0, int kLast, float[] bias, int row, int c0, boolean relu, float[] y, int yImg, int pp, int qq) {
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        int pl = pp * qq;
        // within a plane, blocks go row by row, left to right, so lanes past the row's end land on outputs a later block
        // of this plane writes; only a spill past the plane's end (into another channel's, perhaps written already) must be masked
        boolean full = row * qq + c0 + L <= pl;
        for (int kk = 0; kk < KB && k0 + kk <= kLast; kk++) {
            int k = k0 + kk;
            FloatVector v = FloatVector.fromArray(S, tile, kk * L).add(bias == null ? 0f : bias[k]).max(floor);
            int d = yImg + k * pl + row * qq + c0;
            if (full) v.intoArray(y, d);
            else v.intoArray(y, d, S.indexInRange(c0, qq));
        }
    }
}
