package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;

/**
 * Quantization parameters of one tensor: per-tensor (axis = -1, one scale) or per-axis (one scale per slice
 * along {@code axis}), optionally blocked ({@code blockSize > 0}: one scale per block of that many elements
 * along {@code axis}, as DequantizeLinear-21 reads them).
 */
public record QuantParams(DType type, float[] scale, int[] zeroPoint, int axis, int blockSize) implements java.io.Serializable {
    /** A per-tensor pair, as calibrators produce. */
    public record Scalar(float scale, int zeroPoint) {}

    public static QuantParams perTensor(DType t, Scalar s) { return new QuantParams(t, new float[] {s.scale()}, new int[] {s.zeroPoint()}, -1, 0); }

    public boolean perTensor() { return axis < 0; }

    /** The scale as an ONNX initializer: a scalar per-tensor, a vector per-axis. */
    public Tensor scaleTensor() {
        return perTensor() ? Tensor.scalar(scale[0]) : Tensor.of(scale.clone(), scale.length);
    }

    /** The zero point as an initializer of the quantized type (same shape as the scale). */
    public Tensor zeroPointTensor() { return zeroPointTensor(perTensor() ? new int[0] : new int[] {zeroPoint.length}); }

    public Tensor zeroPointTensor(int[] shape) {
        Tensor z = Tensor.zeros(type, shape);
        switch (type.storage) {
            case BYTE -> { byte[] b = z.bytes(); for (int i = 0; i < b.length; i++) b[i] = (byte) zeroPoint[i]; }
            case INT -> { int[] v = z.ints(); for (int i = 0; i < v.length; i++) v[i] = zeroPoint[i]; }
            default -> throw new IllegalStateException("zero point of type " + type);
        }
        return z;
    }
}
