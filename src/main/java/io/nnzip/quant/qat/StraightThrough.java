package io.nnzip.quant.qat;

/**
 * The straight-through estimator (Bengio et al., 2013): the derivative of round(), zero almost everywhere, is
 * replaced by 1, so d loss / d w_float := d loss / d q(w). The clipped variant (as in binary-weight and ternary
 * training) passes the gradient only where the float weight lies inside the quantizer's range [lo, hi] and
 * returns 0 outside, where the quantizer saturates and its true derivative is 0 too.
 */
public final class StraightThrough {
    private StraightThrough() {}

    /** Gradient for the float weights from the gradient at their projection. */
    public static float[] backward(float[] w, float[] gradAtProjection, float lo, float hi) {
        float[] g = new float[w.length];
        for (int i = 0; i < w.length; i++) g[i] = w[i] >= lo && w[i] <= hi ? gradAtProjection[i] : 0f;
        return g;
    }

    /** Gradient of k-means centroids: each centroid gets the sum of its members' gradients (Deep Compression). */
    public static float[] perCluster(int[] index, float[] gradAtShared, int clusters) {
        float[] g = new float[clusters];
        for (int i = 0; i < index.length; i++) g[index[i]] += gradAtShared[i];
        return g;
    }
}
