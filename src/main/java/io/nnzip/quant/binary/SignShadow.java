package io.nnzip.quant.binary;

import io.nnzip.ir.Tensor;
import io.nnzip.quant.qat.QuantizedParam;
import io.nnzip.train.Param;

/**
 * Binary weights for training: the model sees α_k·sign(w) per output channel (α_k = mean |w| of the channel, the
 * least-squares scale of a sign pattern), the float shadow w takes the gradient straight through. Unlike the
 * clipped estimator of fake-quantization, no window: with α the channel's mean, a window at ±α would freeze about
 * half of each channel's shadows (every weight larger than the mean) for the whole run.
 */
final class SignShadow implements QuantizedParam {
    private final String weight;
    private final Param p;
    private final int rows;

    /** {@code init}'s first axis is the output channel (Conv, Gemm with transB), the layouts the bit kernel runs. */
    SignShadow(String weight, Tensor init) {
        this.weight = weight;
        this.p = new Param(weight, init.toFloats().clone(), true);
        this.rows = init.shape()[0];
    }

    public String weight() { return weight; }

    public Param param() { return p; }

    public float[] values() { return project(p.value(), rows); }

    public void backward(float[] g) { System.arraycopy(g, 0, p.grad(), 0, g.length); }

    /** α_k·sign(w) with sign(0) = +1, per row (output channel) of a row-major weight. */
    static float[] project(float[] m, int rows) {
        int cols = m.length / rows;
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += Math.abs(m[r * cols + i]);
            float a = (float) (sum / cols);
            if (a == 0f) a = Float.MIN_NORMAL;
            for (int i = 0; i < cols; i++) out[r * cols + i] = m[r * cols + i] >= 0 ? a : -a;
        }
        return out;
    }
}
