package io.nnzip.engine.autodiff.kernels;

import io.nnzip.engine.Parallel;

/**
 * Gradients of 2-D max and average pooling (1-D pools use H = 1), parallel over (n, c) planes.
 * <pre>x: (N,C,H,W), dy: (N,C,P,Q) -> dx: (N,C,H,W)</pre>
 * Max pooling routes each output's gradient to the first maximum of its window, recomputed from x (ties and
 * padding as in the forward pass: padded positions never win).
 */
public final class PoolBackward {
    private PoolBackward() {}

    /** Window geometry; the output size p·q comes from the forward output, so ceil_mode needs no special case. */
    public record Window(int kh, int kw, int sh, int sw, int padTop, int padLeft, int dh, int dw) {}

    public static float[] max(Window win, float[] x, float[] dy, int planes, int h, int w, int p, int q, Parallel par) {
        float[] dx = new float[planes * h * w];
        par.forRange(planes, 4, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xo = pl * h * w, yo = pl * p * q;
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        int best = -1;
                        float bv = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < win.kh(); i++) {
                            int ih = oh * win.sh() - win.padTop() + i * win.dh();
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < win.kw(); j++) {
                                int iw = ow * win.sw() - win.padLeft() + j * win.dw();
                                if (iw < 0 || iw >= w) continue;
                                float v = x[xo + ih * w + iw];
                                if (best < 0 || v > bv) {
                                    bv = v;
                                    best = ih * w + iw;
                                }
                            }
                        }
                        if (best >= 0) dx[xo + best] += dy[yo + oh * q + ow];
                    }
            }
        });
        return dx;
    }

    /** Average pooling; without {@code countPad} each window divides by its in-bounds size. */
    public static float[] average(Window win, float[] dy, int planes, int h, int w, int p, int q, boolean countPad, Parallel par) {
        float[] dx = new float[planes * h * w];
        par.forRange(planes, 4, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xo = pl * h * w, yo = pl * p * q;
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        int h0 = oh * win.sh() - win.padTop(), w0 = ow * win.sw() - win.padLeft();
                        int cnt = 0;
                        for (int i = 0; i < win.kh(); i++)
                            for (int j = 0; j < win.kw(); j++) {
                                int ih = h0 + i * win.dh(), iw = w0 + j * win.dw();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) cnt++;
                            }
                        int div = countPad ? win.kh() * win.kw() : cnt;
                        if (div == 0) continue;
                        float g = dy[yo + oh * q + ow] / div;
                        for (int i = 0; i < win.kh(); i++)
                            for (int j = 0; j < win.kw(); j++) {
                                int ih = h0 + i * win.dh(), iw = w0 + j * win.dw();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) dx[xo + ih * w + iw] += g;
                            }
                    }
            }
        });
        return dx;
    }

    // dy: (N·C) -> dx: (N·C, H·W)
    public static float[] globalAverage(float[] dy, int planes, int hw) {
        float[] dx = new float[planes * hw];
        for (int pl = 0; pl < planes; pl++) java.util.Arrays.fill(dx, pl * hw, (pl + 1) * hw, dy[pl] / hw);
        return dx;
    }
}
