package io.nnzip.quant.qat;

import io.nnzip.ir.Tensor;
import io.nnzip.train.Param;

/**
 * A weight whose model value is derived from a separately trained parameter: the float shadow weights of
 * fake-quantization ({@link #shadow}) or the shared centroids of k-means weight sharing ({@link #codebook}).
 * Training measures the gradient at the derived values, turns it into the parameter's gradient, steps the
 * parameter, and derives the values again.
 */
public interface QuantizedParam {
    /** The initializer this parameter drives. */
    String weight();

    /** The trainable parameter (shadow weights or centroids). */
    Param param();

    /** Current weight values for the model. */
    float[] values();

    /** Sets {@code param().grad()} from the gradient at {@link #values()}. */
    void backward(float[] gradAtValues);

    /** Fake-quantization: values = project(shadow), gradient passed straight through (clipped to the range). */
    static QuantizedParam shadow(String weight, Tensor init, int outAxis, WeightProjector projector) {
        Param p = new Param(weight, init.toFloats().clone(), true);
        int[] shape = init.shape();
        return new QuantizedParam() {
            float[] last;

            public String weight() { return weight; }

            public Param param() { return p; }

            public float[] values() { return last = projector.project(Tensor.of(p.value(), shape), outAxis); }

            public void backward(float[] g) {
                float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
                for (float v : last) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                // widened by a step's worth so weights at the edges keep learning
                float pad = 0.5f * (hi - lo) / 16;
                System.arraycopy(StraightThrough.backward(p.value(), g, lo - pad, hi + pad), 0, p.grad(), 0, g.length);
            }
        };
    }

    /**
     * Weight sharing: values = centroids[index] with the assignment fixed; centroid gradients summed per cluster.
     * A centroid that starts at exactly 0 is the pruned weights' bucket and gets no gradient, so they stay zero.
     */
    static QuantizedParam codebook(String weight, float[] centroids, int[] index) {
        Param p = new Param(weight + ".centroids", centroids.clone(), false);
        boolean[] pinned = new boolean[centroids.length];
        for (int q = 0; q < centroids.length; q++) pinned[q] = centroids[q] == 0f;
        return new QuantizedParam() {
            public String weight() { return weight; }

            public Param param() { return p; }

            public float[] values() {
                float[] v = new float[index.length];
                for (int i = 0; i < v.length; i++) v[i] = p.value()[index[i]];
                return v;
            }

            public void backward(float[] g) {
                float[] sum = StraightThrough.perCluster(index, g, p.size());
                for (int q = 0; q < sum.length; q++) if (pinned[q]) sum[q] = 0f;
                System.arraycopy(sum, 0, p.grad(), 0, p.size());
            }
        };
    }
}
