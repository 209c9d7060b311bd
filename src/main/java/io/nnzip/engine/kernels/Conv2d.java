package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Forward 2-D convolution (1-D convs use H = 1) on NCHW float arrays, with an optional fused epilogue: bias,
 * ReLU and an unpadded max-pool applied while each image's output is still in cache.
 * <pre>x: (N,C,H,W), w: (K,C/g,R,S), bias: (K) or null -> y: (N,K,P,Q), or (N,K,P',Q') when pooled</pre>
 * Depthwise convs and convs with only a few taps per output ({@link DirectConv}) run direct loops, and so do
 * stride-1 convs with K a multiple of 32 ({@link LaneConv}, output channels in the vector lanes, no unfold).
 * Everything else is GEMM per group over a batch of {@code nb} images at once,
 * {@code out_g (K/g, nb·P·Q) = w_g (K/g, C/g·R·S) · col (C/g·R·S, nb·P·Q)}, where col holds the images side by
 * side (unfolded by {@link Im2Col}, or copied as is for a pointwise 1×1 conv); batching small images keeps the GEMM
 * wide enough for full-width vector tiles. Stride-1 "same"-width convs skip the col matrix: {@link Im2ColPanel}
 * unfolds one packed NR-wide sliver at a time and the GEMM consumes it from L1 straight away. Where one image's
 * im2col matrix would overflow the unfold budget and be the conv's memory peak, {@link Mec} lowers along the width
 * only (a buffer about R/strideH times smaller) and runs one GEMM per output row.
 */
public final class Conv2d {
    /** Aim for at least this many GEMM columns per call when images are small. */
    static final int MIN_COLUMNS = 384, MAX_BATCH = 16, WIDE = 1024;
    /** Largest unfold buffer (floats) a batch may fill: with the product it should stay in a core's L2. */
    static final int COL_BUDGET = 1 << 18;

    /** Per-thread unfold, product and pooling buffers, reused across calls (columns beyond a call's width stay finite). */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private Conv2d() {}

    private static float[] grow(float[][] scratch, int i, int size) {
        if (scratch[i].length < size) scratch[i] = new float[size];
        return scratch[i];
    }

    /** An unpadded max-pool window and stride: {@code P' = (P - kh)/sh + 1}. */
    public record Pool(int kh, int kw, int sh, int sw) {
        public int out(int in, boolean vertical) {
            return vertical ? (in - kh) / sh + 1 : (in - kw) / sw + 1;
        }
    }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Parallel par) {
        forward(g, x, w, bias, y, relu, null, par);
    }

    /**
     * How a conv that is not run by a direct kernel is lowered to GEMM: {@code AUTO} is the engine's choice (every
     * direct kernel that applies, then {@link Mec} where {@link Mec#pays} says the im2col matrix would be the memory
     * peak, else im2col); {@code IM2COL} and {@code MEC} force that lowering (benchmarks, tests).
     */
    public enum Lowering { AUTO, IM2COL, MEC }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Pool pool, Parallel par) {
        forward(g, x, w, bias, y, relu, pool, par, Lowering.AUTO);
    }

    public static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Pool pool, Parallel par, Lowering lowering) {
        if (lowering == Lowering.MEC) {
            Mec.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        if (lowering == Lowering.IM2COL) {
            lowered(g, x, w, bias, y, relu, pool, par);
            return;
        }
        if (g.isDepthwise()) {
            Depthwise.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        if (SparseConv.forward(g, x, w, bias, y, relu, pool, par)) return;
        if (DirectConv.applies(g, pool)) {
            DirectConv.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        if (LaneConv.applies(g, pool)) {
            LaneConv.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        if (!Im2ColPanel.applies(g) && Mec.pays(g)) {
            Mec.forward(g, x, w, bias, y, relu, pool, par);
            return;
        }
        lowered(g, x, w, bias, y, relu, pool, par);
    }

    // im2col (or its sliver-wise panel form) and GEMM per group
    private static void lowered(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Pool pool, Parallel par) {
        PackedWeights[] packed = new PackedWeights[g.group()];
        for (int gi = 0; gi < g.group(); gi++) packed[gi] = PackedWeights.pack(w, gi * g.kg() * g.colRows(), g.colRows(), g.kg(), g.colRows());
        int perThread = g.n() >= par.threads() && g.n() > 1 ? (g.n() + par.threads() - 1) / par.threads() : g.n();
        int nb = batchSize(g.p() * g.q(), g.colRows(), perThread);
        if (g.n() >= par.threads() && g.n() > 1) {
            // whole images per thread: no synchronisation inside, private buffers per thread
            int batch = nb;
            par.forRange(g.n(), 1, (lo, hi) -> images(g, x, w, packed, bias, y, relu, pool, lo, hi, batch, par));
        } else {
            images(g, x, w, packed, bias, y, relu, pool, 0, g.n(), Math.min(nb, g.n()), par);
        }
    }

    /**
     * Images per GEMM: at least enough for {@link #MIN_COLUMNS} columns, then the count whose column total wastes
     * the least on rounding up to whole NR-wide slivers, within the unfold budget and at most {@code images}.
     */
    static int batchSize(int pq, int rows, int images) {
        int lo = Math.max(1, Math.min(MAX_BATCH, (MIN_COLUMNS + pq - 1) / pq));
        int hi = Math.max(lo, Math.min(MAX_BATCH, Math.min(WIDE, COL_BUDGET / Math.max(1, rows)) / pq));
        hi = Math.max(1, Math.min(hi, images));
        lo = Math.min(lo, hi);
        int best = lo;
        double bestWaste = Double.MAX_VALUE;
        for (int nb = lo; nb <= hi; nb++) {
            int cols = nb * pq;
            double waste = (double) (GemmBlocked.roundUp(cols, MicroKernel.NR) - cols) / cols;
            if (waste < bestWaste - 1e-3) {
                best = nb;
                bestWaste = waste;
            }
        }
        return best;
    }

    // images [lo, hi) in batches of nb: unfold side by side into col (rows, ld), multiply per group into out, epilogue
    private static void images(ConvGeometry g, float[] x, float[] w, PackedWeights[] packed, float[] bias, float[] y, boolean relu, Pool pool,
                               int lo, int hi, int nb, Parallel par) {
        int pq = g.p() * g.q(), kg = g.kg(), rows = g.colRows(), hw = g.h() * g.w(), chw = g.c() * hw;
        int kgp = packed[0].paddedRows(), ldMax = GemmBlocked.roundUp(nb * pq, MicroKernel.NR);
        float[][] scratch = SCRATCH.get();
        // the unfold goes sliver by sliver straight into the GEMM when the plane shifts allow it
        boolean panel = Im2ColPanel.applies(g);
        float[] col = panel ? null : grow(scratch, 0, rows * ldMax), out = grow(scratch, 1, g.group() * kgp * ldMax);
        int outPlane = pool == null ? pq : pool.out(g.p(), true) * pool.out(g.q(), false);
        float[] tmp = grow(scratch, 2, pq);
        for (int img0 = lo; img0 < hi; img0 += nb) {
            int cnt = Math.min(nb, hi - img0), ld = GemmBlocked.roundUp(cnt * pq, MicroKernel.NR);
            for (int gi = 0; gi < g.group(); gi++) {
                int c0 = gi * g.cg();
                // columns past cnt·P·Q hold stale but finite values; their products are never read
                if (panel) {
                    int first = img0, imgs = cnt, ch = c0, oOff = gi * kgp * ld, ldc = ld;
                    PackedWeights pw = packed[gi];
                    Parallel.Range slivers = (s0, s1) -> {
                        float[] buf = grow(SCRATCH.get(), 0, rows * MicroKernel.NR);
                        for (int s = s0; s < s1; s++) {
                            Im2ColPanel.unfoldSliver(g, x, first, imgs, ch, s, buf);
                            pw.multiplySliver(buf, out, oOff + s * MicroKernel.NR, ldc);
                        }
                    };
                    if ((long) kgp * ld * rows >= Sgemm.PARALLEL_MIN_MACS) par.forRange(ld / MicroKernel.NR, 1, slivers);
                    else slivers.run(0, ld / MicroKernel.NR);
                    continue;
                }
                if (g.isPointwise()) {
                    for (int j = 0; j < cnt; j++)
                        for (int ci = 0; ci < rows; ci++)
                            System.arraycopy(x, (img0 + j) * chw + (c0 + ci) * hw, col, ci * ld + j * pq, pq);
                } else {
                    for (int j = 0; j < cnt; j++) Im2Col.im2col(g, x, (img0 + j) * chw, c0, col, j * pq, ld);
                }
                // wide unfolds are read through packed slivers instead: strided rows that far apart thrash the TLB
                if (ld > WIDE) Sgemm.gemm(false, false, kg, ld, rows, 1f, w, gi * kg * rows, rows, col, 0, ld, 0f, out, gi * kgp * ld, ld, par);
                else packed[gi].multiply(col, 0, ld, ld, out, gi * kgp * ld, ld, par);
            }
            for (int j = 0; j < cnt; j++)
                for (int k = 0; k < g.k(); k++) {
                    float b = bias == null ? 0f : bias[k];
                    int src = ((k / kg) * kgp + k % kg) * ld + j * pq, dst = ((img0 + j) * g.k() + k) * outPlane;
                    if (pool == null) MaxPoolEpilogue.biasAct(out, src, y, dst, pq, b, relu);
                    else MaxPoolEpilogue.maxPool(out, src, g.p(), g.q(), pool, b, relu, y, dst, tmp);
                }
        }
    }

    static void fillBias(float[] bias, int k0, float[] y, int yOff, int k, int plane) {
        if (bias == null) return;
        for (int ki = 0; ki < k; ki++) java.util.Arrays.fill(y, yOff + ki * plane, yOff + (ki + 1) * plane, bias[k0 + ki]);
    }

}
