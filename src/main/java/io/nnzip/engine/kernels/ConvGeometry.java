package io.nnzip.engine.kernels;

/**
 * The shape arithmetic of a 2-D convolution (1-D convs use H = 1). Output size per spatial axis:
 * {@code out = floor((in + padBegin + padEnd - dilation·(kernel-1) - 1) / stride) + 1}.
 * <pre>x: (N,C,H,W), w: (K,C/group,R,S) -> y: (N,K,P,Q)</pre>
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int group, int r, int s,
                           int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
                           int dilH, int dilW) {
    public int p() { return (h + padTop + padBottom - dilH * (r - 1) - 1) / strideH + 1; }

    public int q() { return (w + padLeft + padRight - dilW * (s - 1) - 1) / strideW + 1; }

    /** Input channels per group. */
    public int cg() { return c / group; }

    /** Output channels per group. */
    public int kg() { return k / group; }

    /** Rows of the im2col matrix of one group: C/g·R·S. */
    public int colRows() { return cg() * r * s; }

    public boolean isDepthwise() { return group == c && group == k; }

    public boolean isPointwise() {
        return r == 1 && s == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0;
    }

    public long macs() { return (long) n * k * p() * q() * cg() * r * s; }
}
