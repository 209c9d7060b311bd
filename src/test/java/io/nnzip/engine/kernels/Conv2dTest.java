package io.nnzip.engine.kernels;

import io.nnzip.engine.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Conv2d} against a double-precision direct convolution, on shapes chosen to hit each unfold path: the
 * packed-panel unfold with sliver vectors straddling two images ("same" width, stride 1, with dilation and
 * asymmetric pads), planes smaller than a vector, strided and pointwise convs, groups, and the fused ReLU/max-pool.
 */
class Conv2dTest {
    static final Parallel ONE = new Parallel(1), TWO = new Parallel(2);

    @Test
    void panelUnfoldShapes() {
        SplittableRandom r = new SplittableRandom(21);
        // n, c, h, w, k, group, kh, kw, stride, padT, padL, padB, padR, dil
        int[][] cfg = {
                {9, 3, 7, 7, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {5, 4, 14, 14, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1},
                {3, 2, 5, 6, 3, 1, 3, 3, 1, 2, 2, 2, 2, 2}, {17, 2, 4, 5, 4, 1, 3, 3, 1, 0, 1, 0, 1, 1},
                {4, 3, 9, 11, 6, 3, 5, 3, 1, 2, 0, 1, 2, 1}, {2, 1, 28, 28, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1},
                {6, 2, 3, 3, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {3, 4, 8, 8, 4, 1, 3, 3, 2, 1, 1, 1, 1, 1},
                {5, 8, 6, 6, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1}, {2, 4, 10, 10, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1},
                {3, 6, 12, 12, 9, 3, 1, 3, 1, 0, 1, 0, 1, 1}};
        for (int[] f : cfg)
            for (Parallel par : new Parallel[] {ONE, TWO})
                for (int mode = 0; mode < 3; mode++) check(r, f, mode, par);
    }

    /** Few taps per output: the register-blocked {@link DirectConv} (odd sizes, asymmetric pads, K % 4 != 0, Q > 2 vectors). */
    @Test
    void directConvShapes() {
        SplittableRandom r = new SplittableRandom(5);
        // n, c, h, w, k, group, kh, kw, stride, padT, padL, padB, padR, dil
        int[][] cfg = {
                {3, 1, 28, 28, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {2, 1, 9, 7, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1},
                {2, 1, 13, 41, 6, 1, 3, 3, 1, 0, 2, 1, 0, 1}, {3, 2, 11, 10, 3, 1, 2, 3, 1, 1, 0, 0, 1, 1},
                {1, 1, 17, 35, 9, 1, 4, 4, 1, 2, 1, 1, 2, 1}, {5, 3, 8, 9, 4, 1, 1, 5, 1, 0, 2, 0, 2, 1},
                {2, 16, 7, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1}};
        for (int[] f : cfg) {
            ConvGeometry g = new ConvGeometry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[8], f[9], f[10], f[11], f[12], f[13], f[13]);
            if (!DirectConv.applies(g, null)) throw new AssertionError(g + " should take the direct path");
            for (Parallel par : new Parallel[] {ONE, TWO})
                for (int mode = 0; mode < 3; mode++) check(r, f, mode, par);
        }
    }

    /**
     * Stride-1 convs with K a multiple of 32: the channel-lane {@link LaneConv} (odd planes whose last row/column
     * the pool drops, asymmetric pads, 5×5 and 2×3 kernels, Q of exactly one tile, tiles overlapping at the right edge).
     */
    @Test
    void laneConvShapes() {
        SplittableRandom r = new SplittableRandom(8);
        // n, c, h, w, k, group, kh, kw, stride, padT, padL, padB, padR, dil
        int[][] cfg = {
                {3, 4, 7, 7, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {2, 3, 14, 9, 64, 1, 3, 3, 1, 0, 1, 2, 1, 1},
                {2, 2, 8, 12, 32, 1, 5, 5, 1, 2, 2, 2, 2, 1}, {1, 5, 11, 20, 32, 1, 2, 3, 1, 1, 0, 0, 1, 1},
                {4, 8, 5, 9, 96, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {3, 2, 4, 40, 32, 1, 3, 3, 1, 0, 1, 0, 1, 1},
                {2, 32, 14, 14, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1}};
        for (int[] f : cfg) {
            ConvGeometry g = new ConvGeometry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[8], f[9], f[10], f[11], f[12], f[13], f[13]);
            if (!LaneConv.applies(g, null)) throw new AssertionError(g + " should take the channel-lane path");
            for (Parallel par : new Parallel[] {ONE, TWO})
                for (int mode = 0; mode < 3; mode++) check(r, f, mode, par);
        }
    }

    /**
     * {@link LaneConv} with its depth split into chunks (the L2-sized chunk of ResNet-18's 512-channel 7×7 layers, here
     * forced small) on planes whose last tile row or column overlaps the one before (P odd, Q not a multiple of 7):
     * the overlapped outputs must take each chunk once. torchvision's resnet18 at 224² gave 0.66 relative error on
     * layer4.0.conv2 before the fix.
     */
    @Test
    void laneConvChunkedDepthWithOverlappingTiles() {
        SplittableRandom r = new SplittableRandom(23);
        // n, c, h, w, k, group, kh, kw, stride, padT, padL, padB, padR, dil
        int[][] cfg = {{2, 6, 7, 7, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {1, 5, 9, 10, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1},
                {2, 4, 6, 13, 32, 1, 3, 3, 1, 0, 0, 0, 0, 1}};
        int saved = LaneConv.chunkChannels;
        try {
            LaneConv.chunkChannels = 2;
            for (int[] f : cfg) {
                ConvGeometry g = new ConvGeometry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[8], f[9], f[10], f[11], f[12], f[13], f[13]);
                if (!LaneConv.applies(g, null)) throw new AssertionError(g + " should take the channel-lane path");
                for (Parallel par : new Parallel[] {ONE, TWO})
                    for (int mode = 0; mode < 3; mode++) check(r, f, mode, par);
            }
        } finally {
            LaneConv.chunkChannels = saved;
        }
        // the real layer at the chunk the cache gives (512 channels exceed half a 1-2 MB L2)
        check(r, new ConvGeometry(1, 512, 7, 7, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), 0, TWO, Conv2d.Lowering.AUTO);
    }

    /**
     * {@link LaneConv} keeps its packed weights per weight array: weights written in place (as an optimizer step does,
     * which bumps {@link io.nnzip.ir.WeightWrites}) must be repacked, and a bump with nothing changed keeps the result.
     */
    @Test
    void laneConvFollowsInPlaceWeightWrites() {
        SplittableRandom r = new SplittableRandom(12);
        ConvGeometry g = new ConvGeometry(3, 4, 7, 7, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        if (!LaneConv.applies(g, null)) throw new AssertionError(g + " should take the channel-lane path");
        float[] x = OpCheck.random(r, g.n() * g.c() * g.h() * g.w()), w = OpCheck.random(r, g.k() * g.c() * 9), b = OpCheck.random(r, g.k());
        for (int round = 0; round < 4; round++) {
            if (round == 2) for (int i = 0; i < w.length; i += 5) w[i] = -0.5f * w[i] + 0.01f * (i % 7);
            if (round >= 2) io.nnzip.ir.WeightWrites.bump();
            check(g, x, w, b, round % 3, round % 2 == 0 ? ONE : TWO, Conv2d.Lowering.AUTO);
        }
    }

    /**
     * The {@link Mec} lowering, forced and as the engine's pick: strides that differ per axis (and exceed the kernel
     * along W), asymmetric pads, dilation along W, kernels wider than tall and taller than wide, Q over and under
     * one micro-kernel width, one and several images.
     */
    @Test
    void mecShapes() {
        SplittableRandom r = new SplittableRandom(16);
        // n, c, h, w, k, kh, kw, strideH, strideW, padT, padL, padB, padR, dilW
        int[][] cfg = {
                {2, 3, 11, 13, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1}, {1, 2, 17, 40, 9, 7, 7, 2, 2, 3, 3, 3, 3, 1},
                {3, 4, 9, 12, 8, 3, 2, 1, 3, 0, 1, 2, 0, 2}, {1, 1, 20, 70, 3, 5, 3, 3, 1, 2, 0, 1, 1, 3},
                {2, 5, 8, 8, 16, 2, 5, 2, 4, 1, 2, 0, 2, 1}, {1, 3, 12, 9, 4, 4, 1, 1, 1, 0, 0, 3, 0, 1}};
        for (int[] f : cfg) {
            ConvGeometry g = new ConvGeometry(f[0], f[1], f[2], f[3], f[4], 1, f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], 1, f[13]);
            for (Parallel par : new Parallel[] {ONE, TWO})
                for (int mode = 0; mode < 3; mode++) check(r, g, mode, par, Conv2d.Lowering.MEC);
        }
        // ResNet's 7×7 stride-2 stem: im2col would fill 147 × 112² floats; the engine picks MEC
        ConvGeometry stem = new ConvGeometry(1, 3, 224, 224, 8, 1, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1);
        if (!Mec.pays(stem) || Mec.pays(new ConvGeometry(1, 3, 224, 224, 8, 1, 7, 7, 7, 7, 0, 0, 0, 0, 1, 1)))
            throw new AssertionError("MEC should pay on the stride-2 stem and not on a stride-7 patchify conv");
        check(r, stem, 1, TWO, Conv2d.Lowering.AUTO);
    }

    /**
     * {@link Mec} on what foreign CNNs carry besides plain strided convs: dilation along H (DeepLab-style atrous 3×3,
     * alone and with stride and dilation along W), groups (ResNeXt-style 4 and 8 groups, with stride, with dilation),
     * asymmetric pads; forced, and as the engine's pick on a 2-group 7×7 stride-2 stem at 224² whose im2col matrix
     * overflows the unfold budget.
     */
    @Test
    void mecGroupsAndDilation() {
        SplittableRandom r = new SplittableRandom(29);
        // n, c, h, w, k, group, kh, kw, strideH, strideW, padT, padL, padB, padR, dilH, dilW
        int[][] cfg = {
                {2, 3, 15, 13, 5, 1, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {1, 4, 20, 17, 6, 1, 3, 3, 2, 1, 3, 1, 2, 0, 3, 1},
                {2, 8, 11, 12, 12, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 16, 14, 14, 16, 8, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},
                {3, 6, 13, 9, 9, 3, 3, 2, 1, 2, 2, 0, 2, 1, 2, 3}, {1, 4, 10, 10, 8, 2, 5, 5, 1, 1, 4, 4, 4, 4, 2, 2}};
        for (int[] f : cfg) {
            ConvGeometry g = new ConvGeometry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]);
            for (Parallel par : new Parallel[] {ONE, TWO})
                for (int mode = 0; mode < 3; mode++) check(r, g, mode, par, Conv2d.Lowering.MEC);
        }
        ConvGeometry grouped = new ConvGeometry(1, 4, 224, 224, 8, 2, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1);
        if (!Mec.pays(grouped)) throw new AssertionError("MEC should pay on a grouped stride-2 stem");
        check(r, grouped, 1, TWO, Conv2d.Lowering.AUTO);
        ConvGeometry atrous = new ConvGeometry(1, 8, 96, 96, 8, 1, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2);
        if (!Mec.pays(atrous) && !Im2ColPanel.applies(atrous)) throw new AssertionError("a dilated conv with a large unfold should take MEC or the panel unfold");
        check(r, atrous, 0, TWO, Conv2d.Lowering.AUTO);
    }

    // mode 0: plain with bias, 1: + ReLU, 2: + ReLU + 2×2 max-pool
    static void check(SplittableRandom r, int[] f, int mode, Parallel par) {
        check(r, new ConvGeometry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[8], f[9], f[10], f[11], f[12], f[13], f[13]), mode, par,
                Conv2d.Lowering.AUTO);
    }

    static void check(SplittableRandom r, ConvGeometry g, int mode, Parallel par, Conv2d.Lowering lowering) {
        float[] x = OpCheck.random(r, g.n() * g.c() * g.h() * g.w()), w = OpCheck.random(r, g.k() * g.cg() * g.r() * g.s()), b = OpCheck.random(r, g.k());
        check(g, x, w, b, mode, par, lowering);
    }

    static void check(ConvGeometry g, float[] x, float[] w, float[] b, int mode, Parallel par, Conv2d.Lowering lowering) {
        double[] ref = reference(g, x, w, b);
        int p = g.p(), q = g.q();
        Conv2d.Pool pool = mode == 2 && p >= 2 && q >= 2 ? new Conv2d.Pool(2, 2, 2, 2) : null;
        int pp = pool == null ? p : pool.out(p, true), qq = pool == null ? q : pool.out(q, false);
        float[] y = new float[g.n() * g.k() * pp * qq];
        Conv2d.forward(g, x, w, b, y, mode > 0, pool, par, lowering);
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int i = 0; i < pp; i++)
                    for (int j = 0; j < qq; j++) {
                        double want = Double.NEGATIVE_INFINITY;
                        int wi = pool == null ? 1 : 2;
                        for (int a = 0; a < wi; a++)
                            for (int c = 0; c < wi; c++) want = Math.max(want, ref[((n * g.k() + k) * p + i * wi + a) * q + j * wi + c]);
                        if (mode > 0) want = Math.max(want, 0);
                        float got = y[((n * g.k() + k) * pp + i) * qq + j];
                        if (Math.abs(got - want) > 1e-4 * (1 + Math.abs(want)))
                            throw new AssertionError(String.format("%s %s mode=%d threads=%d: y[%d,%d,%d,%d]=%g, expected %g", g, lowering, mode, par.threads(), n, k, i, j, got, want));
                    }
    }

    static double[] reference(ConvGeometry g, float[] x, float[] w, float[] b) {
        int p = g.p(), q = g.q();
        double[] y = new double[g.n() * g.k() * p * q];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++) {
                int grp = k / g.kg();
                for (int i = 0; i < p; i++)
                    for (int j = 0; j < q; j++) {
                        double s = b[k];
                        for (int ci = 0; ci < g.cg(); ci++)
                            for (int ri = 0; ri < g.r(); ri++)
                                for (int si = 0; si < g.s(); si++) {
                                    int ih = i * g.strideH() - g.padTop() + ri * g.dilH(), iw = j * g.strideW() - g.padLeft() + si * g.dilW();
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    s += (double) x[((n * g.c() + grp * g.cg() + ci) * g.h() + ih) * g.w() + iw] * w[((k * g.cg() + ci) * g.r() + ri) * g.s() + si];
                                }
                        y[((n * g.k() + k) * p + i) * q + j] = s;
                    }
            }
        return y;
    }
}
