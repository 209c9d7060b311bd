package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A linear layer with pruned weights, Y (m×n) = X (m×k) · Wᵀ with W (n×k) in compressed rows, vectorized over the
 * batch: a block of {@link #vectors} vectors of rows of X is transposed into a k × block scratch (so input feature c of
 * the block is one contiguous line), and output feature r of the block is Σ over r's nonzeros of w · line(c) — one
 * broadcast FMA per nonzero and vector of batch rows, the block's vectors held in registers across r's nonzeros. L output
 * features at a time are finished (scale, bias, ReLU on the vectors) into an L × block tile that is transposed into Y
 * while it is in L1. At 95 % sparsity the transposes move more floats than there are FMAs, so with 16-lane vectors
 * they run as 16×16 register transposes (two-source permutes, no gathers). Nothing is allocated per call (per-thread
 * scratch), which matters on VMs where a freshly touched page costs ~13 µs.
 */
public final class SparseGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Vectors of batch rows per block, the accumulators of one output feature: 8 (128 rows on 16 lanes) measured
     * 10–12 % faster than 4 on the 95 %-pruned 300←784 layer (the column and value loads, the broadcast and the
     * bounds checks of each nonzero serve 8 FMAs instead of 4). 4 is kept for benchmarks and tests
     * (SparseGemmBenchMain's variants, SparseGemmTest); not final for them.
     */
    static int vectors = 8;
    /**
     * Products (nonzeros × batch rows) below this run on the calling thread alone; the dense kernels' threshold. Under
     * load (other processes taking the cores) the worker is often parked when a forward reaches a pruned layer and a
     * serial call wins (session 13: 2^23 measured 4.5-5.0x dense at load 16); idle, with the executor's run keeping the
     * worker awake, the split wins (95 %-pruned 300<-784 at batch 256: 4.41-4.43x dense against 2.45-2.61x serial,
     * SparseBenchMain with -Dsparse.serial=true). {@code -Dnnzip.sparseParallelMinMacs=N} sets it.
     */
    static volatile long parallelMinMacs = Long.getLong("nnzip.sparseParallelMinMacs", Sgemm.PARALLEL_MIN_MACS);
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final ThreadLocal<int[][]> INDEX = ThreadLocal.withInitial(() -> new int[2][0]);
    /** Permutation indices of the 16×16 transpose's four rounds: round s swaps the off-diagonal s×s blocks of every 2s×2s block. */
    private static final FloatVector[] LO = new FloatVector[4], HI = new FloatVector[4];

    static {
        if (L == 16)
            for (int st = 0, s = 1; s < 16; st++, s <<= 1) {
                float[] lo = new float[16], hi = new float[16];
                for (int j = 0; j < 16; j++) {
                    lo[j] = (j & s) == 0 ? j : 16 + j - s;
                    hi[j] = (j & s) == 0 ? j + s : 16 + j;
                }
                LO[st] = FloatVector.fromArray(S, lo, 0);
                HI[st] = FloatVector.fromArray(S, hi, 0);
            }
    }

    private SparseGemm() {}

    /**
     * Whether this kernel beats the dense GEMM on an n×k weight with this many nonzeros, per batch row: measured rates
     * on the 95 %-pruned 300×784 layer (SparseGemmBenchMain, 1 thread) were ~80 dense MACs, ~20 sparse MACs and ~4
     * transposed floats per ns, so the transposes' k + n moves sink layers with few outputs (a 10-class classifier).
     */
    public static boolean pays(long nonzeros, int k, int n) { return 4 * nonzeros + 20L * (k + n) < (long) n * k; }

    /**
     * Y[yOff + i·ldy + r] = act((accumulate ? Y : 0) + bias[r] + scale·Σ_c W[r][c]·X[xOff + i·ldx + c]) for i &lt; m,
     * r &lt; w.rows(); bias may be null, act is ReLU when {@code relu}. Blocks of batch rows (and, when there are fewer
     * blocks than threads, ranges of output features) run in parallel once the product reaches {@link #parallelMinMacs}.
     */
    public static void multiply(SparseRows w, float[] x, int xOff, int ldx, int m, float scale, float[] bias, boolean relu, float[] y, int yOff, int ldy,
            boolean accumulate, Parallel par) {
        int blk = vectors * L, n = w.rows(), blocks = (m + blk - 1) / blk;
        int threads = par == null || (long) w.nonzeros() * m < parallelMinMacs ? 1 : par.threads();
        // split output features too when the batch has fewer blocks than threads (each part transposes its own block)
        int parts = blocks >= threads ? 1 : Math.min((threads + blocks - 1) / blocks, Math.max(1, n / L));
        Parallel.Range body = (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int b = t / parts, part = t % parts;
                int r0 = (int) ((long) n * part / parts) / L * L, r1 = part == parts - 1 ? n : (int) ((long) n * (part + 1) / parts) / L * L;
                block(w, x, xOff, ldx, blk, b * blk, Math.min(blk, m - b * blk), r0, r1, scale, bias, relu, y, yOff, ldy, accumulate);
            }
        };
        if (threads > 1) par.forChunks(blocks * parts, threads, body);
        else body.run(0, blocks * parts);
    }

    private static void block(SparseRows w, float[] x, int xOff, int ldx, int blk, int i0, int bm, int r0, int r1, float scale, float[] bias, boolean relu,
            float[] y, int yOff, int ldy, boolean accumulate) {
        int k = w.cols(), width = bm == blk ? blk : (bm + L - 1) / L * L;
        float[][] sc = SCRATCH.get();
        float[] xt = grow(sc, 0, k * width), tile = grow(sc, 1, L * width);
        transposeIn(x, xOff + i0 * ldx, ldx, bm, k, xt, width);
        int[] start = w.start(), col = w.col();
        float[] val = w.val();
        FloatVector zero = FloatVector.zero(S);
        boolean tileRelu = relu && !accumulate; // with accumulate, ReLU waits for the sum with Y
        for (int t0 = r0; t0 < r1; t0 += L) {
            int t1 = Math.min(r1, t0 + L);
            for (int r = t0; r < t1; r++) {
                int p0 = start[r], p1 = start[r + 1], to = (r - t0) * width;
                float b = bias == null ? 0f : bias[r];
                if (width == 8 * L) row8(col, val, p0, p1, xt, scale, b, tileRelu, tile, to);
                else if (width == 4 * L) row4(col, val, p0, p1, xt, scale, b, tileRelu, tile, to);
                else rowAny(col, val, p0, p1, xt, width, scale, b, tileRelu, tile, to);
            }
            // the tile's output features t0 .. t1 of batch rows i0 .. i0+bm
            int nt = t1 - t0, i = 0, dst0 = yOff + i0 * ldy + t0;
            if (L == 16 && nt == 16 && !accumulate)
                for (; i + 16 <= bm; i += 16) transpose16(tile, i, width, y, dst0 + i * ldy, ldy);
            for (; i < bm; i++) {
                int dst = dst0 + i * ldy;
                if (accumulate) {
                    for (int r = 0; r < nt; r++) {
                        float v = y[dst + r] + tile[r * width + i];
                        y[dst + r] = relu ? Math.max(0f, v) : v;
                    }
                } else for (int r = 0; r < nt; r++) y[dst + r] = tile[r * width + i];
            }
        }
    }

    /** Output feature over a block of 8 vectors of batch rows: 8 accumulators per nonzero's broadcast. */
    private static void row8(int[] col, float[] val, int p0, int p1, float[] xt, float scale, float bv, boolean tileRelu, float[] tile, int to) {
        FloatVector zero = FloatVector.zero(S), b = FloatVector.broadcast(S, bv);
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
            for (int p = p0; p < p1; p++) {
                FloatVector v = FloatVector.broadcast(S, val[p]);
                int base = col[p] * (8 * L);
                a0 = FloatVector.fromArray(S, xt, base).fma(v, a0);
                a1 = FloatVector.fromArray(S, xt, base + L).fma(v, a1);
                a2 = FloatVector.fromArray(S, xt, base + 2 * L).fma(v, a2);
                a3 = FloatVector.fromArray(S, xt, base + 3 * L).fma(v, a3);
                a4 = FloatVector.fromArray(S, xt, base + 4 * L).fma(v, a4);
                a5 = FloatVector.fromArray(S, xt, base + 5 * L).fma(v, a5);
                a6 = FloatVector.fromArray(S, xt, base + 6 * L).fma(v, a6);
                a7 = FloatVector.fromArray(S, xt, base + 7 * L).fma(v, a7);
            }
            finish(a0, scale, b, tileRelu, tile, to);
            finish(a1, scale, b, tileRelu, tile, to + L);
            finish(a2, scale, b, tileRelu, tile, to + 2 * L);
            finish(a3, scale, b, tileRelu, tile, to + 3 * L);
            finish(a4, scale, b, tileRelu, tile, to + 4 * L);
            finish(a5, scale, b, tileRelu, tile, to + 5 * L);
            finish(a6, scale, b, tileRelu, tile, to + 6 * L);
            finish(a7, scale, b, tileRelu, tile, to + 7 * L);
    }

    /** A block of 4 vectors of batch rows (a batch of at most 64 rows on 16 lanes, or a block's tail). */
    private static void row4(int[] col, float[] val, int p0, int p1, float[] xt, float scale, float bv, boolean tileRelu, float[] tile, int to) {
        FloatVector zero = FloatVector.zero(S), b = FloatVector.broadcast(S, bv);
            FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            for (int p = p0; p < p1; p++) {
                FloatVector v = FloatVector.broadcast(S, val[p]);
                int base = col[p] * (4 * L);
                a0 = FloatVector.fromArray(S, xt, base).fma(v, a0);
                a1 = FloatVector.fromArray(S, xt, base + L).fma(v, a1);
                a2 = FloatVector.fromArray(S, xt, base + 2 * L).fma(v, a2);
                a3 = FloatVector.fromArray(S, xt, base + 3 * L).fma(v, a3);
            }
            finish(a0, scale, b, tileRelu, tile, to);
            finish(a1, scale, b, tileRelu, tile, to + L);
            finish(a2, scale, b, tileRelu, tile, to + 2 * L);
            finish(a3, scale, b, tileRelu, tile, to + 3 * L);
    }

    private static void rowAny(int[] col, float[] val, int p0, int p1, float[] xt, int width, float scale, float bv, boolean tileRelu, float[] tile, int to) {
        FloatVector zero = FloatVector.zero(S), b = FloatVector.broadcast(S, bv);
            for (int j = 0; j < width; j += L) {
                FloatVector a0 = zero;
                for (int p = p0; p < p1; p++) a0 = FloatVector.fromArray(S, xt, col[p] * width + j).fma(FloatVector.broadcast(S, val[p]), a0);
                finish(a0, scale, b, tileRelu, tile, to + j);
            }
    }

    /** xt[c·width + i] = x[off + i·ldx + c] for i &lt; bm, c &lt; k; lanes bm .. width of every line zero. */
    static void transposeIn(float[] x, int off, int ldx, int bm, int k, float[] xt, int width) {
        int full = bm / L * L, i = 0;
        if (L == 16) {
            int k16 = k / 16 * 16;
            for (; i < full; i += 16) {
                for (int c = 0; c < k16; c += 16) transpose16(x, off + i * ldx + c, ldx, xt, c * width + i, width);
                for (int r = i; r < i + 16; r++)
                    for (int c = k16; c < k; c++) xt[c * width + r] = x[off + r * ldx + c];
            }
        } else if (full > 0) {
            // other vector widths: one gather down a column per vector of rows
            int[] down = rowIndex(ldx);
            for (; i < full; i += L)
                for (int c = 0; c < k; c++) FloatVector.fromArray(S, x, off + i * ldx + c, down, 0).intoArray(xt, c * width + i);
        }
        // a partial vector of rows, a strip of 16 input features at a time (one cache line of each row)
        if (i < bm)
            for (int c0 = 0; c0 < k; c0 += 16) {
                int c1 = Math.min(k, c0 + 16);
                for (int r = i; r < bm; r++)
                    for (int c = c0; c < c1; c++) xt[c * width + r] = x[off + r * ldx + c];
                if (bm < width) for (int c = c0; c < c1; c++) Arrays.fill(xt, c * width + bm, (c + 1) * width, 0f);
            }
    }

    /** dst[dOff + j·dld + i] = src[off + i·ld + j] for i, j < 16: a 16×16 block transposed in registers (four rounds of two-source permutes). */
    private static void transpose16(float[] src, int off, int ld, float[] dst, int dOff, int dld) {
        FloatVector r0 = FloatVector.fromArray(S, src, off + 0 * ld), r1 = FloatVector.fromArray(S, src, off + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, src, off + 2 * ld), r3 = FloatVector.fromArray(S, src, off + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, src, off + 4 * ld), r5 = FloatVector.fromArray(S, src, off + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, src, off + 6 * ld), r7 = FloatVector.fromArray(S, src, off + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, src, off + 8 * ld), r9 = FloatVector.fromArray(S, src, off + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, src, off + 10 * ld), r11 = FloatVector.fromArray(S, src, off + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(S, src, off + 12 * ld), r13 = FloatVector.fromArray(S, src, off + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(S, src, off + 14 * ld), r15 = FloatVector.fromArray(S, src, off + 15 * ld);
        FloatVector a0 = LO[0].selectFrom(r0, r1), a1 = HI[0].selectFrom(r0, r1);
        FloatVector a2 = LO[0].selectFrom(r2, r3), a3 = HI[0].selectFrom(r2, r3);
        FloatVector a4 = LO[0].selectFrom(r4, r5), a5 = HI[0].selectFrom(r4, r5);
        FloatVector a6 = LO[0].selectFrom(r6, r7), a7 = HI[0].selectFrom(r6, r7);
        FloatVector a8 = LO[0].selectFrom(r8, r9), a9 = HI[0].selectFrom(r8, r9);
        FloatVector a10 = LO[0].selectFrom(r10, r11), a11 = HI[0].selectFrom(r10, r11);
        FloatVector a12 = LO[0].selectFrom(r12, r13), a13 = HI[0].selectFrom(r12, r13);
        FloatVector a14 = LO[0].selectFrom(r14, r15), a15 = HI[0].selectFrom(r14, r15);
        FloatVector b0 = LO[1].selectFrom(a0, a2), b2 = HI[1].selectFrom(a0, a2);
        FloatVector b1 = LO[1].selectFrom(a1, a3), b3 = HI[1].selectFrom(a1, a3);
        FloatVector b4 = LO[1].selectFrom(a4, a6), b6 = HI[1].selectFrom(a4, a6);
        FloatVector b5 = LO[1].selectFrom(a5, a7), b7 = HI[1].selectFrom(a5, a7);
        FloatVector b8 = LO[1].selectFrom(a8, a10), b10 = HI[1].selectFrom(a8, a10);
        FloatVector b9 = LO[1].selectFrom(a9, a11), b11 = HI[1].selectFrom(a9, a11);
        FloatVector b12 = LO[1].selectFrom(a12, a14), b14 = HI[1].selectFrom(a12, a14);
        FloatVector b13 = LO[1].selectFrom(a13, a15), b15 = HI[1].selectFrom(a13, a15);
        FloatVector c0 = LO[2].selectFrom(b0, b4), c4 = HI[2].selectFrom(b0, b4);
        FloatVector c1 = LO[2].selectFrom(b1, b5), c5 = HI[2].selectFrom(b1, b5);
        FloatVector c2 = LO[2].selectFrom(b2, b6), c6 = HI[2].selectFrom(b2, b6);
        FloatVector c3 = LO[2].selectFrom(b3, b7), c7 = HI[2].selectFrom(b3, b7);
        FloatVector c8 = LO[2].selectFrom(b8, b12), c12 = HI[2].selectFrom(b8, b12);
        FloatVector c9 = LO[2].selectFrom(b9, b13), c13 = HI[2].selectFrom(b9, b13);
        FloatVector c10 = LO[2].selectFrom(b10, b14), c14 = HI[2].selectFrom(b10, b14);
        FloatVector c11 = LO[2].selectFrom(b11, b15), c15 = HI[2].selectFrom(b11, b15);
        FloatVector d0 = LO[3].selectFrom(c0, c8), d8 = HI[3].selectFrom(c0, c8);
        FloatVector d1 = LO[3].selectFrom(c1, c9), d9 = HI[3].selectFrom(c1, c9);
        FloatVector d2 = LO[3].selectFrom(c2, c10), d10 = HI[3].selectFrom(c2, c10);
        FloatVector d3 = LO[3].selectFrom(c3, c11), d11 = HI[3].selectFrom(c3, c11);
        FloatVector d4 = LO[3].selectFrom(c4, c12), d12 = HI[3].selectFrom(c4, c12);
        FloatVector d5 = LO[3].selectFrom(c5, c13), d13 = HI[3].selectFrom(c5, c13);
        FloatVector d6 = LO[3].selectFrom(c6, c14), d14 = HI[3].selectFrom(c6, c14);
        FloatVector d7 = LO[3].selectFrom(c7, c15), d15 = HI[3].selectFrom(c7, c15);
        d0.intoArray(dst, dOff + 0 * dld);
        d1.intoArray(dst, dOff + 1 * dld);
        d2.intoArray(dst, dOff + 2 * dld);
        d3.intoArray(dst, dOff + 3 * dld);
        d4.intoArray(dst, dOff + 4 * dld);
        d5.intoArray(dst, dOff + 5 * dld);
        d6.intoArray(dst, dOff + 6 * dld);
        d7.intoArray(dst, dOff + 7 * dld);
        d8.intoArray(dst, dOff + 8 * dld);
        d9.intoArray(dst, dOff + 9 * dld);
        d10.intoArray(dst, dOff + 10 * dld);
        d11.intoArray(dst, dOff + 11 * dld);
        d12.intoArray(dst, dOff + 12 * dld);
        d13.intoArray(dst, dOff + 13 * dld);
        d14.intoArray(dst, dOff + 14 * dld);
        d15.intoArray(dst, dOff + 15 * dld);
    }

    private static void finish(FloatVector acc, float scale, FloatVector bias, boolean relu, float[] tile, int at) {
        FloatVector v = (scale == 1f ? acc : acc.mul(scale)).add(bias);
        if (relu) v = v.max(0f);
        v.intoArray(tile, at);
    }

    /** {0, stride, 2·stride, …} for one vector of lanes, kept per thread for the last two strides asked. */
    private static int[] rowIndex(int stride) {
        int[][] ix = INDEX.get();
        for (int[] a : ix) if (a.length == L && a[1] == stride) return a; // L ≥ 2 for every float species
        int[] a = new int[L];
        for (int i = 0; i < L; i++) a[i] = i * stride;
        ix[1] = ix[0];
        ix[0] = a;
        return a;
    }

    private static float[] grow(float[][] sc, int i, int size) {
        if (sc[i].length < size) sc[i] = new float[size];
        return sc[i];
    }
}
