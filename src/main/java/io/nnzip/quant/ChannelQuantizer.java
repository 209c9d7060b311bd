package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;

/**
 * Symmetric weight quantization, per output channel (one scale per slice along {@code axis}) or per tensor:
 * scale = max|w| / qmax, zero point 0, so the integer GEMM needs no weight-offset correction.
 */
public final class ChannelQuantizer {
    /** Integer weights (same shape), their parameters, and the float values they stand for. */
    public record Result(Tensor q, QuantParams params, float[] dequantized) {}

    private ChannelQuantizer() {}

    public static Result quantize(Tensor w, int axis, boolean perChannel, DType t) {
        float[] x = w.toFloats();
        int[] shape = w.shape();
        int channels = perChannel ? shape[axis] : 1;
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        int outer = x.length / (channels * inner);
        if (!perChannel) {
            inner = x.length;
            outer = 1;
        }
        int qmax = QuantMath.qmax(t), qmin = -qmax;
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = 0;
            for (int o = 0; o < outer; o++) for (int i = 0; i < inner; i++) m = Math.max(m, Math.abs(x[(o * channels + c) * inner + i]));
            scale[c] = m > 0 ? (float) (m / qmax) : 1f;
        }
        Tensor q = Tensor.zeros(t, shape);
        byte[] qb = q.bytes();
        float[] deq = new float[x.length];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++) {
                    int k = (o * channels + c) * inner + i;
                    int v = QuantMath.quantize(x[k], scale[c], 0, qmin, qmax);
                    qb[k] = (byte) v;
                    deq[k] = v * scale[c];
                }
        QuantParams p = new QuantParams(t, scale, new int[channels], perChannel ? axis : -1, 0);
        return new Result(q, p, deq);
    }

    /**
     * Bias as int32 at scale x_scale · w_scale[c] (zero point 0), as integer Conv/Gemm kernels add it to their
     * int32 accumulators.
     */
    public static Tensor quantizeBias(float[] bias, float xScale, float[] wScale, int[] outQ, float[] outDeq) {
        int[] q = new int[bias.length];
        for (int c = 0; c < bias.length; c++) {
            // the float32 product, exactly the scale the bias DequantizeLinear carries
            float s = xScale * wScale[wScale.length == 1 ? 0 : c];
            long v = Math.round((double) bias[c] / s);
            q[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
            if (outDeq != null) outDeq[c] = q[c] * s;
        }
        if (outQ != null) System.arraycopy(q, 0, outQ, 0, q.length);
        return new Tensor(DType.INT32, new int[] {bias.length}, q);
    }
}
