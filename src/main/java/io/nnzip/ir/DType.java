package io.nnzip.ir;

/**
 * Element types, numbered as ONNX's {@code TensorProto.DataType}. Each type names the Java array that holds it
 * in a {@link Tensor}: the storage class is what kernels switch on, the ONNX code is what files carry.
 */
public enum DType {
    FLOAT(1, 4, Storage.FLOAT), UINT8(2, 1, Storage.BYTE), INT8(3, 1, Storage.BYTE), UINT16(4, 2, Storage.INT),
    INT16(5, 2, Storage.INT), INT32(6, 4, Storage.INT), INT64(7, 8, Storage.LONG), STRING(8, 0, Storage.STRING),
    BOOL(9, 1, Storage.BYTE), FLOAT16(10, 2, Storage.SHORT), DOUBLE(11, 8, Storage.DOUBLE), UINT32(12, 4, Storage.LONG),
    UINT64(13, 8, Storage.LONG), BFLOAT16(16, 2, Storage.SHORT), UINT4(21, 1, Storage.BYTE), INT4(22, 1, Storage.BYTE);

    /** The Java array kind behind a tensor of this type. */
    public enum Storage { FLOAT, DOUBLE, LONG, INT, SHORT, BYTE, STRING }

    public final int onnx;
    /** Bytes per element in ONNX raw_data (int4 packs two per byte and reports 1 here; see {@link #rawBytes}). */
    public final int size;
    public final Storage storage;

    DType(int onnx, int size, Storage storage) {
        this.onnx = onnx;
        this.size = size;
        this.storage = storage;
    }

    public static DType fromOnnx(int code) {
        for (DType t : values()) if (t.onnx == code) return t;
        throw new NnzipException("unsupported ONNX element type " + code);
    }

    public boolean isFloating() { return this == FLOAT || this == DOUBLE || this == FLOAT16 || this == BFLOAT16; }

    public boolean isInteger() { return !isFloating() && this != BOOL && this != STRING; }

    public boolean isUnsigned() { return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64 || this == UINT4; }

    /** Bytes that {@code n} elements take in ONNX raw_data. */
    public long rawBytes(long n) { return (this == INT4 || this == UINT4) ? (n + 1) / 2 : n * size; }

    public String lower() { return name().toLowerCase(java.util.Locale.ROOT); }
}
