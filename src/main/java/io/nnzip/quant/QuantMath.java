package io.nnzip.quant;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;

/**
 * ONNX's quantization arithmetic, element by element: {@code q = saturate(round(x / scale) + zp)} with rounding
 * half to even, and {@code x' = (q - zp) * scale}. Everything that turns floats into integers in nnzip goes through
 * here, so the simulation (fake-quant) and the exported QuantizeLinear nodes agree bit for bit.
 */
public final class QuantMath {
    private QuantMath() {}

    public static int qmin(DType t) {
        return switch (t) {
            case INT8 -> -128;
            case UINT8, UINT4 -> 0;
            case INT4 -> -8;
            case INT32 -> Integer.MIN_VALUE;
            default -> throw new NnzipException("no integer range for " + t.lower());
        };
    }

    public static int qmax(DType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            case INT4 -> 7;
            case UINT4 -> 15;
            case INT32 -> Integer.MAX_VALUE;
            default -> throw new NnzipException("no integer range for " + t.lower());
        };
    }

    /** Signed integer range of a bit width: [-2^(b-1), 2^(b-1)-1]. */
    public static int qminBits(int bits) { return -(1 << (bits - 1)); }

    public static int qmaxBits(int bits) { return (1 << (bits - 1)) - 1; }

    /** One element of QuantizeLinear, computed as ONNX does (float division, round half to even, saturate). */
    public static int quantize(float x, float scale, int zp, int qmin, int qmax) {
        double v = Math.rint((double) (x / scale)) + zp;
        return (int) Math.max(qmin, Math.min(qmax, v));
    }

    public static float dequantize(int q, float scale, int zp) { return (q - zp) * scale; }

    /** Quantize then dequantize: the value the integer model computes with. */
    public static float fake(float x, float scale, int zp, int qmin, int qmax) {
        return dequantize(quantize(x, scale, zp, qmin, qmax), scale, zp);
    }

    /**
     * Scale and zero point covering {@code [lo, hi]} (widened to include 0 so zero is exact, as padding and ReLU
     * need). Symmetric: zp at the middle of the range (0 for signed, 128 for uint8), scale from max |x|.
     */
    public static QuantParams.Scalar params(float lo, float hi, DType t, boolean symmetric) {
        int qmin = qmin(t), qmax = qmax(t);
        double a = Math.min(0, lo), b = Math.max(0, hi);
        if (symmetric) {
            double m = Math.max(-a, b);
            // signed types use [-qmax, qmax] so that -x and x quantize symmetrically
            double half = t.isUnsigned() ? (qmax - qmin) / 2.0 : qmax;
            float scale = (float) (m > 0 ? m / half : 1.0);
            int zp = t.isUnsigned() ? (qmax + qmin + 1) / 2 : 0;
            return new QuantParams.Scalar(scale, zp);
        }
        float scale = (float) (b > a ? (b - a) / (qmax - qmin) : 1.0);
        int zp = (int) Math.max(qmin, Math.min(qmax, Math.rint(qmin - a / scale)));
        return new QuantParams.Scalar(scale, zp);
    }

    /** Signal-to-quantization-noise ratio in dB: 10·log10(Σx² / Σ(x - x')²); +∞ when exact. */
    public static double sqnr(float[] ref, float[] approx) {
        double s = 0, n = 0;
        for (int i = 0; i < ref.length; i++) {
            s += (double) ref[i] * ref[i];
            double d = ref[i] - approx[i];
            n += d * d;
        }
        if (n == 0) return Double.POSITIVE_INFINITY;
        return 10 * Math.log10(Math.max(s, 1e-30) / n);
    }
}
