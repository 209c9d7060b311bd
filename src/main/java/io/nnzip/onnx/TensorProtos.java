package io.nnzip.onnx;

import com.google.protobuf.ByteString;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * TensorProto ⇄ {@link Tensor}. Reads raw_data (little-endian), every typed field, and external data files
 * (location/offset/length relative to the model's folder); writes raw_data, or string_data for strings.
 */
public final class TensorProtos {
    private TensorProtos() {}

    public static Tensor read(TensorProto p, Path baseDir) {
        String where = "tensor '" + p.getName() + "'";
        DType t;
        try {
            t = DType.fromOnnx(p.getDataType());
        } catch (NnzipException e) {
            throw new NnzipException(where + ": " + e.getMessage());
        }
        int[] shape = new int[p.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            long d = p.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new NnzipException(where + ": invalid dimension " + d);
            shape[i] = (int) d;
        }
        int n;
        try {
            n = Shapes.numel(shape);
        } catch (NnzipException e) {
            throw new NnzipException(where + ": " + e.getMessage());
        }
        if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return new Tensor(t, shape, fromRaw(t, n, ExternalData.read(p, baseDir, t.rawBytes(n)), where));
        }
        if (p.hasRawData()) return new Tensor(t, shape, fromRaw(t, n, p.getRawData().asReadOnlyByteBuffer(), where));
        Object data = Tensor.allocate(t, n);
        int have = switch (t) {
            case FLOAT -> p.getFloatDataCount();
            case DOUBLE -> p.getDoubleDataCount();
            case INT64 -> p.getInt64DataCount();
            case UINT32, UINT64 -> p.getUint64DataCount();
            case STRING -> p.getStringDataCount();
            case INT4, UINT4 -> p.getInt32DataCount() * 2;
            default -> p.getInt32DataCount();
        };
        if (n == 0) return new Tensor(t, shape, data);
        if (have < n) throw new NnzipException(where + ": holds " + have + " values, shape " + Shapes.str(shape) + " needs " + n);
        for (int i = 0; i < n; i++) {
            switch (t) {
                case FLOAT -> ((float[]) data)[i] = p.getFloatData(i);
                case DOUBLE -> ((double[]) data)[i] = p.getDoubleData(i);
                case INT64 -> ((long[]) data)[i] = p.getInt64Data(i);
                case UINT32, UINT64 -> ((long[]) data)[i] = p.getUint64Data(i);
                case STRING -> ((String[]) data)[i] = p.getStringData(i).toStringUtf8();
                case INT32, INT16, UINT16 -> ((int[]) data)[i] = p.getInt32Data(i);
                case FLOAT16, BFLOAT16 -> ((short[]) data)[i] = (short) p.getInt32Data(i);
                case INT4, UINT4 -> ((byte[]) data)[i] = nibble(t, p.getInt32Data(i / 2) >> ((i & 1) * 4));
                default -> ((byte[]) data)[i] = (byte) p.getInt32Data(i);
            }
        }
        return new Tensor(t, shape, data);
    }

    private static byte nibble(DType t, int v) {
        int x = v & 0xF;
        return (byte) (t == DType.INT4 && x >= 8 ? x - 16 : x);
    }

    static Object fromRaw(DType t, int n, ByteBuffer raw, String where) {
        long need = t.rawBytes(n);
        if (t == DType.STRING) throw new NnzipException(where + ": string tensors cannot use raw_data");
        if (raw.remaining() != need)
            throw new NnzipException(where + ": raw_data has " + raw.remaining() + " bytes, " + t.lower() + " x " + n + " needs " + need);
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        Object data = Tensor.allocate(t, n);
        switch (t) {
            case FLOAT -> b.asFloatBuffer().get((float[]) data);
            case DOUBLE -> b.asDoubleBuffer().get((double[]) data);
            case INT64, UINT64 -> b.asLongBuffer().get((long[]) data);
            case UINT32 -> { long[] d = (long[]) data; for (int i = 0; i < n; i++) d[i] = b.getInt(i * 4) & 0xFFFFFFFFL; }
            case INT32 -> b.asIntBuffer().get((int[]) data);
            case INT16 -> { int[] d = (int[]) data; for (int i = 0; i < n; i++) d[i] = b.getShort(i * 2); }
            case UINT16 -> { int[] d = (int[]) data; for (int i = 0; i < n; i++) d[i] = b.getShort(i * 2) & 0xFFFF; }
            case FLOAT16, BFLOAT16 -> b.asShortBuffer().get((short[]) data);
            case INT4, UINT4 -> { byte[] d = (byte[]) data; for (int i = 0; i < n; i++) d[i] = nibble(t, b.get(i / 2) >> ((i & 1) * 4)); }
            default -> b.get((byte[]) data);
        }
        return data;
    }

    /** The raw little-endian bytes ONNX stores for a (non-string) tensor. */
    public static byte[] toRaw(Tensor x) {
        DType t = x.dtype();
        int n = x.size();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(t.rawBytes(n))).order(ByteOrder.LITTLE_ENDIAN);
        switch (t) {
            case FLOAT -> b.asFloatBuffer().put(x.floats());
            case DOUBLE -> b.asDoubleBuffer().put(x.doubles());
            case INT64, UINT64 -> b.asLongBuffer().put(x.longs());
            case UINT32 -> { long[] d = x.longs(); for (int i = 0; i < n; i++) b.putInt(i * 4, (int) d[i]); }
            case INT32 -> b.asIntBuffer().put(x.ints());
            case INT16, UINT16 -> { int[] d = x.ints(); for (int i = 0; i < n; i++) b.putShort(i * 2, (short) d[i]); }
            case FLOAT16, BFLOAT16 -> b.asShortBuffer().put(x.shorts());
            case INT4, UINT4 -> {
                byte[] d = x.bytes();
                for (int i = 0; i < n; i++) b.put(i / 2, (byte) (b.get(i / 2) | ((d[i] & 0xF) << ((i & 1) * 4))));
            }
            case STRING -> throw new IllegalArgumentException("string tensors have no raw form");
            default -> b.put(x.bytes());
        }
        return b.array();
    }

    public static TensorProto write(String name, Tensor x) {
        TensorProto.Builder p = TensorProto.newBuilder().setDataType(x.dtype().onnx);
        if (name != null && !name.isEmpty()) p.setName(name);
        for (int d : x.shape()) p.addDims(d);
        if (x.dtype() == DType.STRING) {
            for (String s : x.strings()) p.addStringData(ByteString.copyFrom(s, StandardCharsets.UTF_8));
        } else {
            p.setRawData(ByteString.copyFrom(toRaw(x)));
        }
        return p.build();
    }

    /** Reads a standalone serialized TensorProto (the ONNX test suite's input_N.pb / output_N.pb files). */
    public static Tensor readFile(Path file) {
        try {
            TensorProto p = TensorProto.parseFrom(java.nio.file.Files.readAllBytes(file));
            return read(p, file.getParent());
        } catch (IOException e) {
            throw new NnzipException("cannot read tensor file " + file + ": " + e.getMessage());
        }
    }
}
