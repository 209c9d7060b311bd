package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct convolution with output channels in the vector lanes, for stride-1 convs with a few taps (3×3 and the
 * like) on small images, where the GEMM path's unfold costs as much as a third of its multiply-adds (measured on
 * the benchmark CNN's second conv: 5.5 ms unfold against 9.2 ms multiply).
 * <ul>
 *   <li>Each image is copied once into a zero-bordered buffer: every tap of every output pixel is then a plain
 *       scalar load, broadcast, with no masks and no unfolded matrix.</li>
 *   <li>A tile of 2 output rows × {@link #TW} output columns × 32 output channels (28 accumulators) stays in
 *       registers across the whole depth C·R·S; per depth step it loads 2 weight vectors (packed depth-major once
 *       per weight array, {@link LaneWeights}) and broadcasts 14 input values.</li>
 *   <li>Tiles go to a per-image (P·Q, 32) buffer; the epilogue adds the bias, applies ReLU and the 2×2 stride-2
 *       max-pool on channel vectors, and writes NCHW. With the pool fused, rows and columns the pool drops (an odd
 *       last one) are not computed at all.</li>
 * </ul>
 * <pre>x: (N,C,H,W), w: (K,C,R,S), bias: (K) or null -> y: (N,K,P,Q), or (N,K,P/2,Q/2) pooled; K a multiple of 32</pre>
 */
final class LaneConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    /** Output channels per tile (two 16-lane vectors) and output columns per tile row. */
    static final int KB = 32, TW = 7;
    /** On by default where it applies; benchmarks toggle it to compare against the GEMM path. */
    static volatile boolean enabled = !Boolean.getBoolean("nnzip.laneconv.off");

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private LaneConv() {}

    static boolean applies(ConvGeometry g, Conv2d.Pool pool) {
        if (!enabled || S.length() != 16 || FloatVector.SPECIES_PREFERRED.length() < 16) return false;
        boolean pool2x2 = pool == null || pool.kh() == 2 && pool.kw() == 2 && pool.sh() == 2 && pool.sw() == 2;
        return pool2x2 && g.group() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.dilH() == 1 && g.dilW() == 1
                && g.k() % KB == 0 && g.r() * g.s() > 1 && g.r() <= 7 && g.s() <= 7 && g.q() >= TW && g.p() >= 2
                && g.colRows() > DirectConv.MAX_TAPS && g.q() <= 64;
    }

    static void forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        float[] wp = LaneWeights.packed(w, g.k(), g.colRows());
        float[] b = new float[g.k()];
        if (bias != null) System.arraycopy(bias, 0, b, 0, g.k());
        // the taps' offsets in the bordered planes, shared by every range (the team takes a conv in a dozen or more)
        int[] dOff = tapOffsets(g);
        Parallel.Range run = (lo, hi) -> images(g, x, wp, b, y, relu, pool != null, dOff, lo, hi);
        // taken as threads come free: a worker still waking after a pause, or on a shared core, takes fewer images
        if (par.threads() > 1 && g.n() > 1 && g.macs() >= Sgemm.PARALLEL_MIN_MACS) par.forGuided(g.n(), 2, run);
        else run.run(0, g.n());
    }

    private static float[] grow(float[][] scratch, int i, int size) {
        if (scratch[i].length < size) scratch[i] = new float[size];
        return scratch[i];
    }

    // the bordered buffer must hold every tap of every output pixel: P + R - 1 rows, Q + S - 1 columns
    private static int borderedRows(ConvGeometry g) { return Math.max(g.h() + g.padTop() + g.padBottom(), g.p() + g.r() - 1); }

    private static int borderedCols(ConvGeometry g) { return Math.max(g.w() + g.padLeft() + g.padRight(), g.q() + g.s() - 1); }

    // depth step d (channel, row, column of the tap) -> its offset in the image's bordered planes
    private static int[] tapOffsets(ConvGeometry g) {
        int depth = g.colRows(), rs = g.r() * g.s(), wb = borderedCols(g), plane = borderedRows(g) * wb;
        int[] dOff = new int[depth];
        for (int d = 0; d < depth; d++) dOff[d] = d / rs * plane + d % rs / g.s() * wb + d % g.s();
        return dOff;
    }

    private static void images(ConvGeometry g, float[] x, float[] wp, float[] bias, float[] y, boolean relu, boolean pool, int[] dOff, int lo, int hi) {
        int p = g.p(), q = g.q(), depth = g.colRows();
        int wb = borderedCols(g), plane = borderedRows(g) * wb;
        float[][] scratch = SCRATCH.get();
        int pp = pool ? p / 2 : p, qq = pool ? q / 2 : q, outPlane = pp * qq;
        int rowsNeeded = pool ? 2 * pp : p, colsNeeded = pool ? 2 * qq : q;
        int chunk = chunkDepth(g, plane);
        // a last tile row/column shifted back to fit overlaps the one before it; over several depth chunks such a tile
        // accumulates in a slot of its own (positions shared with another tile would take a chunk twice), copied in after
        boolean slots = chunk < depth;
        int slotFloats = 2 * TW * KB, slotBase = p * q * KB;
        int maxSlots = slots ? (rowsNeeded + 1) / 2 + (colsNeeded + TW - 1) / TW : 0;
        float[] xb = grow(scratch, 0, g.c() * plane), out = grow(scratch, 1, slotBase + maxSlots * slotFloats);
        float[] packed = grow(scratch, 2, outPlane * KB);
        java.util.Arrays.fill(xb, 0, g.c() * plane, 0f);
        for (int n = lo; n < hi; n++) {
            border(g, x, n, xb, plane, wb);
            for (int kb = 0; kb < g.k() / KB; kb++) {
                int wo = kb * depth * KB;
                // depth in chunks whose weights and input planes stay in L2 while every tile of the image passes
                for (int d0 = 0; d0 < depth; d0 += chunk) {
                    int d1 = Math.min(depth, d0 + chunk), slot = 0;
                    for (int oh0 = 0; oh0 < rowsNeeded; oh0 += 2) {
                        int oh = Math.min(oh0, p - 2);
                        for (int ow0 = 0; ow0 < colsNeeded; ow0 += TW) {
                            int ow = Math.min(ow0, q - TW);
                            if (slots && (oh != oh0 || ow != ow0))
                                tile(xb, oh * wb + ow, wb, dOff, d0, d1, wp, wo, out, slotBase + slot++ * slotFloats, TW * KB, d0 > 0);
                            else tile(xb, oh * wb + ow, wb, dOff, d0, d1, wp, wo, out, (oh * q + ow) * KB, q * KB, d0 > 0);
                        }
                    }
                }
                if (slots) copySlots(out, slotBase, slotFloats, p, q, rowsNeeded, colsNeeded);
                int yBase = (n * g.k() + kb * KB) * outPlane;
                if (pool) poolEpilogue(out, q, pp, qq, bias, kb * KB, relu, packed);
                else actEpilogue(out, p * q, bias, kb * KB, relu, packed);
                transposeOut(packed, outPlane, y, yBase);
            }
        }
    }

    // the shifted tiles' slots (2 rows × TW columns × KB, in the loop's order) into their places in out
    private static void copySlots(float[] out, int slotBase, int slotFloats, int p, int q, int rowsNeeded, int colsNeeded) {
        int slot = 0;
        for (int oh0 = 0; oh0 < rowsNeeded; oh0 += 2) {
            int oh = Math.min(oh0, p - 2);
            for (int ow0 = 0; ow0 < colsNeeded; ow0 += TW) {
                int ow = Math.min(ow0, q - TW);
                if (oh == oh0 && ow == ow0) continue;
                int src = slotBase + slot++ * slotFloats;
                for (int r = 0; r < 2; r++) System.arraycopy(out, src + r * TW * KB, out, ((oh + r) * q + ow) * KB, TW * KB);
            }
        }
    }

    /** Test/benchmark override of the depth chunk in input channels (0: sized from the L2 cache). */
    static volatile int chunkChannels = Integer.getInteger("nnzip.laneconv.chunk", 0);

    /**
     * Depth steps per chunk: whole input channels whose packed weights (R·S·32 floats each) and bordered planes fit
     * in half the core's L2 ({@link CpuInfo}), so every tile of the image reads them from L2, not memory. Chunks
     * sized to L1 instead measured no faster on Zen 5 (conv2 of the CNN: 10.3–10.6 ms at 4–16 channels against
     * 9.9–10.3 ms unchunked; conv3 8.7–11 ms against 8.7 ms): the L2 streams weight vectors fast enough for 28 FMAs each.
     */
    static int chunkDepth(ConvGeometry g, int plane) {
        int rs = g.r() * g.s(), perChannel = (rs * KB + plane) * Float.BYTES;
        int channels = chunkChannels > 0 ? chunkChannels : (int) Math.max(1, CpuInfo.get().l2 / 2 / perChannel);
        return Math.min(g.c(), channels) * rs;
    }

    // the image's channels into the interior of its (hb, wb) planes at (padTop, padLeft); the border stays zero
    private static void border(ConvGeometry g, float[] x, int n, float[] xb, int plane, int wb) {
        int h = g.h(), w = g.w();
        for (int c = 0; c < g.c(); c++) {
            int src = (n * g.c() + c) * h * w, dst = c * plane + g.padTop() * wb + g.padLeft();
            // rows are short (7..56 floats): vector copies beat System.arraycopy's per-call overhead
            for (int r = 0; r < h; r++) Im2Col.copy(x, src + r * w, xb, dst + r * wb, w);
        }
    }

    /**
     * Output rows oh, oh+1 × columns ow .. ow+6 × 32 channels: {@code out[o + (r·Q + i)·32 + j]} (r = 0, 1 at o and
     * o + rowStride) = Σ_d wp[wo + d·32 + j] · xb[base + dOff[d] + r·wb + i].
     */
    static void tile(float[] xb, int base, int wb, int[] dOff, int dLo, int dHi, float[] wp, int wo, float[] out, int o, int rowStride, boolean acc) {
        int r1 = o + rowStride;
        FloatVector z = FloatVector.zero(S);
        FloatVector a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z, a4 = z, b4 = z, a5 = z, b5 = z, a6 = z, b6 = z;
        FloatVector c0 = z, e0 = z, c1 = z, e1 = z, c2 = z, e2 = z, c3 = z, e3 = z, c4 = z, e4 = z, c5 = z, e5 = z, c6 = z, e6 = z;
        if (acc) {
            a0 = FloatVector.fromArray(S, out, o); b0 = FloatVector.fromArray(S, out, o + 16);
            a1 = FloatVector.fromArray(S, out, o + 32); b1 = FloatVector.fromArray(S, out, o + 48);
            a2 = FloatVector.fromArray(S, out, o + 64); b2 = FloatVector.fromArray(S, out, o + 80);
            a3 = FloatVector.fromArray(S, out, o + 96); b3 = FloatVector.fromArray(S, out, o + 112);
            a4 = FloatVector.fromArray(S, out, o + 128); b4 = FloatVector.fromArray(S, out, o + 144);
            a5 = FloatVector.fromArray(S, out, o + 160); b5 = FloatVector.fromArray(S, out, o + 176);
            a6 = FloatVector.fromArray(S, out, o + 192); b6 = FloatVector.fromArray(S, out, o + 208);
            c0 = FloatVector.fromArray(S, out, r1); e0 = FloatVector.fromArray(S, out, r1 + 16);
            c1 = FloatVector.fromArray(S, out, r1 + 32); e1 = FloatVector.fromArray(S, out, r1 + 48);
            c2 = FloatVector.fromArray(S, out, r1 + 64); e2 = FloatVector.fromArray(S, out, r1 + 80);
            c3 = FloatVector.fromArray(S, out, r1 + 96); e3 = FloatVector.fromArray(S, out, r1 + 112);
            c4 = FloatVector.fromArray(S, out, r1 + 128); e4 = FloatVector.fromArray(S, out, r1 + 144);
            c5 = FloatVector.fromArray(S, out, r1 + 160); e5 = FloatVector.fromArray(S, out, r1 + 176);
            c6 = FloatVector.fromArray(S, out, r1 + 192); e6 = FloatVector.fromArray(S, out, r1 + 208);
        }
        // a/b: row 0, channel halves 0/1; c/e: row 1
        for (int d = dLo; d < dHi; d++) {
            int x0 = base + dOff[d], x1 = x0 + wb, wd = wo + d * KB;
            FloatVector w0 = FloatVector.fromArray(S, wp, wd), w1 = FloatVector.fromArray(S, wp, wd + 16);
            FloatVector v = FloatVector.broadcast(S, xb[x0]);
            a0 = w0.fma(v, a0); b0 = w1.fma(v, b0);
            v = FloatVector.broadcast(S, xb[x0 + 1]);
            a1 = w0.fma(v, a1); b1 = w1.fma(v, b1);
            v = FloatVector.broadcast(S, xb[x0 + 2]);
            a2 = w0.fma(v, a2); b2 = w1.fma(v, b2);
            v = FloatVector.broadcast(S, xb[x0 + 3]);
            a3 = w0.fma(v, a3); b3 = w1.fma(v, b3);
            v = FloatVector.broadcast(S, xb[x0 + 4]);
            a4 = w0.fma(v, a4); b4 = w1.fma(v, b4);
            v = FloatVector.broadcast(S, xb[x0 + 5]);
            a5 = w0.fma(v, a5); b5 = w1.fma(v, b5);
            v = FloatVector.broadcast(S, xb[x0 + 6]);
            a6 = w0.fma(v, a6); b6 = w1.fma(v, b6);
            v = FloatVector.broadcast(S, xb[x1]);
            c0 = w0.fma(v, c0); e0 = w1.fma(v, e0);
            v = FloatVector.broadcast(S, xb[x1 + 1]);
            c1 = w0.fma(v, c1); e1 = w1.fma(v, e1);
            v = FloatVector.broadcast(S, xb[x1 + 2]);
            c2 = w0.fma(v, c2); e2 = w1.fma(v, e2);
            v = FloatVector.broadcast(S, xb[x1 + 3]);
            c3 = w0.fma(v, c3); e3 = w1.fma(v, e3);
            v = FloatVector.broadcast(S, xb[x1 + 4]);
            c4 = w0.fma(v, c4); e4 = w1.fma(v, e4);
            v = FloatVector.broadcast(S, xb[x1 + 5]);
            c5 = w0.fma(v, c5); e5 = w1.fma(v, e5);
            v = FloatVector.broadcast(S, xb[x1 + 6]);
            c6 = w0.fma(v, c6); e6 = w1.fma(v, e6);
        }
        a0.intoArray(out, o); b0.intoArray(out, o + 16);
        a1.intoArray(out, o + 32); b1.intoArray(out, o + 48);
        a2.intoArray(out, o + 64); b2.intoArray(out, o + 80);
        a3.intoArray(out, o + 96); b3.intoArray(out, o + 112);
        a4.intoArray(out, o + 128); b4.intoArray(out, o + 144);
        a5.intoArray(out, o + 160); b5.intoArray(out, o + 176);
        a6.intoArray(out, o + 192); b6.intoArray(out, o + 208);
        c0.intoArray(out, r1); e0.intoArray(out, r1 + 16);
        c1.intoArray(out, r1 + 32); e1.intoArray(out, r1 + 48);
        c2.intoArray(out, r1 + 64); e2.intoArray(out, r1 + 80);
        c3.intoArray(out, r1 + 96); e3.intoArray(out, r1 + 112);
        c4.intoArray(out, r1 + 128); e4.intoArray(out, r1 + 144);
        c5.intoArray(out, r1 + 160); e5.intoArray(out, r1 + 176);
        c6.intoArray(out, r1 + 192); e6.intoArray(out, r1 + 208);
    }

    // (P,Q) pixels of 32 channels -> (P/2,Q/2) pooled pixels: max of each 2×2 window, + bias, ReLU
    private static void poolEpilogue(float[] out, int q, int pp, int qq, float[] bias, int k0, boolean relu, float[] packed) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, k0), bias1 = FloatVector.fromArray(S, bias, k0 + 16);
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int i = 0; i < pp; i++)
            for (int j = 0; j < qq; j++) {
                int t = (2 * i * q + 2 * j) * KB, u = t + q * KB, d = (i * qq + j) * KB;
                for (int h = 0; h < KB; h += 16) {
                    FloatVector m = FloatVector.fromArray(S, out, t + h).max(FloatVector.fromArray(S, out, t + KB + h))
                            .max(FloatVector.fromArray(S, out, u + h)).max(FloatVector.fromArray(S, out, u + KB + h));
                    m.add(h == 0 ? bias0 : bias1).max(floor).intoArray(packed, d + h);
                }
            }
    }

    private static void actEpilogue(float[] out, int pixels, float[] bias, int k0, boolean relu, float[] packed) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, k0), bias1 = FloatVector.fromArray(S, bias, k0 + 16);
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int i = 0; i < pixels; i++) {
            int t = i * KB;
            FloatVector.fromArray(S, out, t).add(bias0).max(floor).intoArray(packed, t);
            FloatVector.fromArray(S, out, t + 16).add(bias1).max(floor).intoArray(packed, t + 16);
        }
    }

    // (pixels, 32) -> 32 NCHW planes of `pixels` floats at y[yBase ..]
    private static void transposeOut(float[] packed, int pixels, float[] y, int yBase) {
        for (int j = 0; j < KB; j++) {
            int dst = yBase + j * pixels;
            for (int i = 0; i < pixels; i++) y[dst + i] = packed[i * KB + j];
        }
    }
}
