package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;

/**
 * Convolution with pruned weights: stride 1 directly ({@link SparseDirect}); otherwise per image, the unfolded input (C·R·S × P·Q, or the input itself for a stride-1
 * unpadded 1×1 conv) times the CSR weights, then bias, ReLU and the fused max-pool of the dense path. Images are
 * split over threads; each product touches only the nonzero weights.
 */
public final class SparseConv {
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    /** Stride-1 convs run {@link SparseDirect} (no unfold); {@code -Dnnzip.sparseIm2col=true} keeps the im2col path, for comparison. */
    static volatile boolean DIRECT = !Boolean.getBoolean("nnzip.sparseIm2col");

    private SparseConv() {}

    /**
     * Output positions per image below which the sparse kernels lose to the dense path whatever the density: a 1×1
     * conv (the dense path multiplies the input as it is) and a conv with several taps (the dense path unfolds them
     * first). Measured on torchvision resnet18 and mobilenet_v2 with a 1×28×28 stem, pruned to 90 % per layer, batch 64,
     * 2 threads, the same process alternating (SparseBenchMain, BENCHMARKS.md issue 16 session 23): 3×3 convs at 7×7
     * ran 1.2–1.7× faster sparse and at 4×4 1.0–1.4×, at 2×2 and 1×1 0.23–0.6×; 1×1 convs at 4×4 and below ran
     * 0.46–0.9×, at 7×7 (mobilenet_v2 at 224²) 1.4–1.8×.
     */
    static final int MIN_POSITIONS_POINTWISE = 32, MIN_POSITIONS = 16;

    /** Whether this geometry's output plane is large enough for the sparse kernels to pay (the density is judged apart). */
    public static boolean paysAt(ConvGeometry g) { return paysAt(g.group(), g.r() * g.s(), (long) g.p() * g.q()); }

    /** As above from a conv's groups, kernel taps (R·S) and output positions per image (P·Q). */
    public static boolean paysAt(int group, int taps, long positions) {
        return group == 1 && positions >= (taps == 1 ? MIN_POSITIONS_POINTWISE : MIN_POSITIONS);
    }

    /** Runs the conv sparse and returns true when its weights are sparse enough to pay; else false (nothing written). */
    public static boolean forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        if (!paysAt(g)) return false;
        SparseRows sp = SparseWeights.rows(w, 0, g.k(), g.colRows());
        if (sp == null) return false;
        if (SparseDirect.fits(g) && DIRECT) {
            SparseDirect.forward(g, sp, x, bias, y, relu, pool, par);
            return true;
        }
        int pq = g.p() * g.q(), hw = g.h() * g.w(), chw = g.c() * hw;
        int outPlane = pool == null ? pq : pool.out(g.p(), true) * pool.out(g.q(), false);
        boolean direct = g.isPointwise() && pq == hw;
        Parallel.Range body = (lo, hi) -> {
            float[][] s = SCRATCH.get();
            float[] col = direct ? null : grow(s, 0, g.colRows() * pq), out = grow(s, 1, g.k() * pq), tmp = grow(s, 2, pq);
            for (int img = lo; img < hi; img++) {
                float[] b = x;
                int bOff = img * chw;
                if (!direct) {
                    Im2Col.im2col(g, x, img * chw, 0, col);
                    b = col;
                    bOff = 0;
                }
                sp.multiply(b, bOff, pq, pq, 1f, out, 0, pq, false, null);
                for (int k = 0; k < g.k(); k++) {
                    float bk = bias == null ? 0f : bias[k];
                    int dst = (img * g.k() + k) * outPlane;
                    if (pool == null) MaxPoolEpilogue.biasAct(out, k * pq, y, dst, pq, bk, relu);
                    else MaxPoolEpilogue.maxPool(out, k * pq, g.p(), g.q(), pool, bk, relu, y, dst, tmp);
                }
            }
        };
        if (par != null && par.threads() > 1 && g.n() > 1) par.forRange(g.n(), 1, body);
        else body.run(0, g.n());
        return true;
    }

    private static float[] grow(float[][] s, int i, int size) {
        if (s[i].length < size) s[i] = new float[size];
        return s[i];
    }
}
