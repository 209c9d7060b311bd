package io.nnzip.ir;

import java.util.Arrays;

/**
 * A dense, row-major tensor: an element type, a concrete shape and one Java array holding the elements.
 * <p>Storage by {@link DType.Storage}: FLOAT {@code float[]}, DOUBLE {@code double[]}, LONG {@code long[]}
 * (int64, uint32, uint64 bits), INT {@code int[]} (int32, int16, uint16), SHORT {@code short[]} (float16/bfloat16
 * bits), BYTE {@code byte[]} (int8, uint8 bits, bool 0/1, int4/uint4 one element per byte), STRING {@code String[]}.
 * Tensors are treated as immutable values by the engine; passes that edit weights make new tensors or say so.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final Object data;

    public Tensor(DType dtype, int[] shape, Object data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
        int n = Shapes.numel(shape);
        if (length(data) != n)
            throw new NnzipException("tensor of shape " + Shapes.str(shape) + " needs " + n + " elements, got " + length(data));
        if (!storageMatches(dtype, data))
            throw new IllegalArgumentException(dtype + " tensor cannot hold " + data.getClass().getSimpleName());
    }

    public static Tensor of(float[] data, int... shape) { return new Tensor(DType.FLOAT, shape, data); }

    public static Tensor ofLongs(long[] data, int... shape) { return new Tensor(DType.INT64, shape, data); }

    public static Tensor scalar(float v) { return of(new float[] {v}); }

    public static Tensor scalarLong(long v) { return ofLongs(new long[] {v}); }

    /** A 1-D int64 tensor, the form ONNX uses for shapes and axes. */
    public static Tensor vector(long... v) { return ofLongs(v.clone(), v.length); }

    public static Tensor zeros(DType t, int... shape) { return new Tensor(t, shape, allocate(t, Shapes.numel(shape))); }

    public static Object allocate(DType t, int n) {
        return switch (t.storage) {
            case FLOAT -> new float[n];
            case DOUBLE -> new double[n];
            case LONG -> new long[n];
            case INT -> new int[n];
            case SHORT -> new short[n];
            case BYTE -> new byte[n];
            case STRING -> {
                String[] s = new String[n];
                Arrays.fill(s, "");
                yield s;
            }
        };
    }

    public DType dtype() { return dtype; }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i < 0 ? i + shape.length : i]; }

    public int size() { return length(data); }

    /** The backing array, shared (not copied). */
    public Object data() { return data; }

    public float[] floats() { return (float[]) typed(DType.Storage.FLOAT); }

    public double[] doubles() { return (double[]) typed(DType.Storage.DOUBLE); }

    public long[] longs() { return (long[]) typed(DType.Storage.LONG); }

    public int[] ints() { return (int[]) typed(DType.Storage.INT); }

    public short[] shorts() { return (short[]) typed(DType.Storage.SHORT); }

    public byte[] bytes() { return (byte[]) typed(DType.Storage.BYTE); }

    public String[] strings() { return (String[]) typed(DType.Storage.STRING); }

    private Object typed(DType.Storage s) {
        if (dtype.storage != s) throw new NnzipException("expected a " + s.name().toLowerCase() + " tensor, got " + dtype.lower());
        return data;
    }

    /** Element {@code i} as a double, honouring unsignedness and half-precision encodings. */
    public double getDouble(int i) {
        return switch (dtype) {
            case FLOAT -> ((float[]) data)[i];
            case DOUBLE -> ((double[]) data)[i];
            case FLOAT16 -> Float.float16ToFloat(((short[]) data)[i]);
            case BFLOAT16 -> Float.intBitsToFloat(((short[]) data)[i] << 16);
            case UINT64 -> {
                long v = ((long[]) data)[i];
                yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            default -> getLong(i);
        };
    }

    /** Element {@code i} as a long (floats are truncated toward zero). */
    public long getLong(int i) {
        return switch (dtype.storage) {
            case LONG -> ((long[]) data)[i];
            case INT -> ((int[]) data)[i];
            case BYTE -> dtype == DType.UINT8 || dtype == DType.UINT4 ? ((byte[]) data)[i] & 0xFF : ((byte[]) data)[i];
            case SHORT, FLOAT, DOUBLE -> (long) getDouble(i);
            case STRING -> throw new NnzipException("string tensor has no numeric value");
        };
    }

    /** All elements as float32 (a copy unless already float32). */
    public float[] toFloats() {
        if (dtype == DType.FLOAT) return (float[]) data;
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) getDouble(i);
        return out;
    }

    /** All elements as longs (a copy unless already int64). */
    public long[] toLongs() {
        if (dtype == DType.INT64) return (long[]) data;
        long[] out = new long[size()];
        for (int i = 0; i < out.length; i++) out[i] = getLong(i);
        return out;
    }

    /** Elements as ints, for shape and axis arguments. */
    public int[] toInts() {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) {
            long v = getLong(i);
            out[i] = v > Integer.MAX_VALUE ? Integer.MAX_VALUE : v < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) v;
        }
        return out;
    }

    /** The same elements viewed under a new shape of equal size. */
    public Tensor reshape(int... newShape) { return new Tensor(dtype, newShape, data); }

    public Tensor copy() { return new Tensor(dtype, shape, copyOf(data)); }

    public static Object copyOf(Object a) {
        return switch (a) {
            case float[] f -> f.clone();
            case double[] d -> d.clone();
            case long[] l -> l.clone();
            case int[] i -> i.clone();
            case short[] s -> s.clone();
            case byte[] b -> b.clone();
            case String[] s -> s.clone();
            default -> throw new IllegalArgumentException("not a tensor array: " + a.getClass());
        };
    }

    public static int length(Object a) {
        return switch (a) {
            case float[] f -> f.length;
            case double[] d -> d.length;
            case long[] l -> l.length;
            case int[] i -> i.length;
            case short[] s -> s.length;
            case byte[] b -> b.length;
            case String[] s -> s.length;
            default -> throw new IllegalArgumentException("not a tensor array: " + a.getClass());
        };
    }

    private static boolean storageMatches(DType t, Object a) {
        return switch (t.storage) {
            case FLOAT -> a instanceof float[];
            case DOUBLE -> a instanceof double[];
            case LONG -> a instanceof long[];
            case INT -> a instanceof int[];
            case SHORT -> a instanceof short[];
            case BYTE -> a instanceof byte[];
            case STRING -> a instanceof String[];
        };
    }

    /** Bytes this tensor occupies in an ONNX file's raw_data. */
    public long byteSize() { return dtype.rawBytes(size()); }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Tensor t)) return false;
        return dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.deepEquals(new Object[] {data}, new Object[] {t.data});
    }

    @Override
    public int hashCode() { return 31 * dtype.hashCode() + Arrays.hashCode(shape); }

    @Override
    public String toString() { return dtype.lower() + Shapes.str(shape); }
}
