package io.nnzip.onnx;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import org.junit.jupiter.api.Test;

/** Typed fields and raw_data decode to the same tensor; raw_data layout is ONNX's little-endian one. */
class TensorProtosTest {
    @Test
    void typedFieldsMatchRawData() {
        TensorProto typed = TensorProto.newBuilder().setName("f").setDataType(1).addDims(2).addDims(2)
                .addFloatData(1f).addFloatData(-2.5f).addFloatData(0f).addFloatData(1e-3f).build();
        Tensor a = TensorProtos.read(typed, null);
        Tensor b = TensorProtos.read(TensorProtos.write("f", a), null);
        assertEquals(a, b);
        assertArrayEquals(new float[] {1f, -2.5f, 0f, 1e-3f}, b.floats());
        // raw_data is little-endian: 1.0f = 00 00 80 3F
        byte[] raw = TensorProtos.toRaw(a);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, java.util.Arrays.copyOf(raw, 4));
    }

    @Test
    void everyIntegerTypeRoundTrips() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.INT64, DType.UINT32, DType.BOOL, DType.INT4, DType.UINT4}) {
            TensorProto.Builder p = TensorProto.newBuilder().setDataType(t.onnx).addDims(4);
            long[] vals = switch (t) {
                case BOOL -> new long[] {1, 0, 1, 1};
                case INT4 -> new long[] {-8, 7, 0, -1};
                case UINT4 -> new long[] {15, 0, 3, 9};
                case UINT8 -> new long[] {255, 0, 128, 1};
                case UINT16 -> new long[] {65535, 0, 3, 1};
                case UINT32 -> new long[] {4294967295L, 0, 3, 1};
                default -> new long[] {-3, 0, 100, -100};
            };
            if (t == DType.INT64) for (long v : vals) p.addInt64Data(v);
            else if (t == DType.UINT32) for (long v : vals) p.addUint64Data(v);
            else if (t == DType.INT4 || t == DType.UINT4) {
                p.addInt32Data((int) ((vals[0] & 0xF) | (vals[1] & 0xF) << 4));
                p.addInt32Data((int) ((vals[2] & 0xF) | (vals[3] & 0xF) << 4));
            } else for (long v : vals) p.addInt32Data((int) v);
            Tensor x = TensorProtos.read(p.build(), null);
            for (int i = 0; i < 4; i++) assertEquals(vals[i], x.getLong(i), t + "[" + i + "]");
            Tensor y = TensorProtos.read(TensorProtos.write("x", x), null);
            assertEquals(x, y, t.toString());
        }
    }

    @Test
    void float16IsDecoded() {
        // 0x3C00 = 1.0, 0xC000 = -2.0 in IEEE half
        TensorProto p = TensorProto.newBuilder().setDataType(10).addDims(2).addInt32Data(0x3C00).addInt32Data(0xC000).build();
        Tensor t = TensorProtos.read(p, null);
        assertEquals(1.0, t.getDouble(0));
        assertEquals(-2.0, t.getDouble(1));
    }

    @Test
    void shortRawDataIsAnError() {
        TensorProto p = TensorProto.newBuilder().setName("w").setDataType(1).addDims(3)
                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[8])).build();
        NnzipException e = assertThrows(NnzipException.class, () -> TensorProtos.read(p, null));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("needs 12"), e.getMessage());
    }
}
