package io.nnzip.engine.ops.support;

import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;

/**
 * Element conversions between tensors of any numeric type and the two working representations kernels compute
 * in off the float32 fast path: {@code double[]} for floating types and {@code long[]} for integers and bool.
 * Stores wrap integers to their width as ONNX (two's complement) and round floats to float16/bfloat16 to nearest even.
 */
public final class Values {
    private Values() {}

    public static double[] doubles(Tensor t) {
        if (t.dtype() == DType.DOUBLE) return t.doubles();
        int n = t.size();
        double[] out = new double[n];
        if (t.dtype() == DType.FLOAT) {
            float[] f = t.floats();
            for (int i = 0; i < n; i++) out[i] = f[i];
        } else {
            for (int i = 0; i < n; i++) out[i] = t.getDouble(i);
        }
        return out;
    }

    public static long[] longs(Tensor t) {
        if (t.dtype() == DType.INT64) return t.longs();
        int n = t.size();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = t.getLong(i);
        return out;
    }

    /** A tensor of type {@code t} holding {@code v} converted (floating types round, integer types truncate toward zero). */
    public static Tensor fromDoubles(DType t, int[] shape, double[] v) {
        int n = v.length;
        return switch (t) {
            case DOUBLE -> new Tensor(t, shape, v);
            case FLOAT -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float) v[i];
                yield new Tensor(t, shape, f);
            }
            case FLOAT16, BFLOAT16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) s[i] = t == DType.FLOAT16 ? Float.floatToFloat16((float) v[i]) : toBfloat16((float) v[i]);
                yield new Tensor(t, shape, s);
            }
            case BOOL -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) b[i] = (byte) (v[i] != 0 ? 1 : 0);
                yield new Tensor(t, shape, b);
            }
            case UINT64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = v[i] >= 0x1p63 ? (long) (v[i] - 0x1p63) ^ Long.MIN_VALUE : (long) v[i];
                yield new Tensor(t, shape, l);
            }
            case STRING -> throw new io.nnzip.ir.UnsupportedOpException("numeric to string conversion");
            default -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) l[i] = (long) v[i];
                yield fromLongs(t, shape, l);
            }
        };
    }

    /** A tensor of type {@code t} holding {@code v}, wrapped to the type's width. */
    public static Tensor fromLongs(DType t, int[] shape, long[] v) {
        int n = v.length;
        return switch (t.storage) {
            case LONG -> new Tensor(t, shape, t == DType.UINT32 ? mask(v, 0xFFFFFFFFL) : v);
            case INT -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = t == DType.INT16 ? (short) v[i] : t == DType.UINT16 ? (int) (v[i] & 0xFFFF) : (int) v[i];
                yield new Tensor(t, shape, a);
            }
            case BYTE -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) b[i] = t == DType.BOOL ? (byte) (v[i] != 0 ? 1 : 0) : (byte) v[i];
                yield new Tensor(t, shape, b);
            }
            case FLOAT, DOUBLE, SHORT -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) d[i] = v[i];
                yield fromDoubles(t, shape, d);
            }
            case STRING -> throw new io.nnzip.ir.UnsupportedOpException("numeric to string conversion");
        };
    }

    private static long[] mask(long[] v, long m) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] & m;
        return out;
    }

    /** Round-to-nearest-even float32 → bfloat16 bits (NaN stays NaN). */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static Tensor boolTensor(int[] shape, boolean[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) (v[i] ? 1 : 0);
        return new Tensor(DType.BOOL, shape, b);
    }
}
