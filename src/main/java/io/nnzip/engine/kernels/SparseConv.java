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

    /** Runs the conv sparse and returns true when its weights are sparse enough to pay; else false (nothing written). */
    public static boolean forward(ConvGeometry g, float[] x, float[] w, float[] bias, float[] y, boolean relu, Conv2d.Pool pool, Parallel par) {
        if (g.group() != 1) return false;
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
