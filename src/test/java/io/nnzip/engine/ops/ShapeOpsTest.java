package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.ValueType;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import org.junit.jupiter.api.Test;

class ShapeOpsTest {
    private static Tensor iota(int... shape) {
        int n = io.nnzip.ir.Shapes.numel(shape);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return Tensor.ofLongs(v, shape);
    }

    @Test
    void reshapeZeroCopiesUnlessAllowZero() {
        Tensor x = iota(2, 3, 4);
        assertArrayEquals(new int[] {2, 12}, Ops.run1("Reshape", new Tensor[] {x, Tensor.vector(0, -1)}).shape());
        assertArrayEquals(new int[] {0, 5}, Ops.run1("Reshape", new Tensor[] {iota(0, 5), Tensor.vector(0, 5)}, Attribute.of("allowzero", 1L)).shape());
        NnzipException e = assertThrows(NnzipException.class, () -> Ops.run1("Reshape", new Tensor[] {x, Tensor.vector(5, -1)}));
        assertTrue(e.getMessage().contains("[2, 3, 4]"), e.getMessage());
    }

    @Test
    void sliceWithNegativeStepsReverses() {
        Tensor x = iota(2, 5);
        Tensor y = Ops.run1("Slice", new Tensor[] {x, Tensor.vector(-1), Tensor.vector(Long.MIN_VALUE), Tensor.vector(1), Tensor.vector(-2)});
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new long[] {4, 2, 0, 9, 7, 5}, y.longs());
        Tensor old = Ops.run("Slice", 1, 1, new Tensor[] {x}, Attribute.of("starts", new long[] {1}), Attribute.of("ends", new long[] {100}), Attribute.of("axes", new long[] {1}))[0];
        assertArrayEquals(new long[] {1, 2, 3, 4, 6, 7, 8, 9}, old.longs());
    }

    @Test
    void transposeAndShapeRuleAgree() {
        Tensor x = iota(2, 3, 4);
        Tensor y = Ops.run1("Transpose", new Tensor[] {x}, Attribute.of("perm", 2L, 0L, 1L));
        assertArrayEquals(new int[] {4, 2, 3}, y.shape());
        assertArrayEquals(new long[] {0, 4, 8, 12, 16, 20}, java.util.Arrays.copyOf(y.longs(), 6));
        ValueType[] t = Ops.infer("Transpose", 17, 1, new ValueType[] {ValueType.of(DType.INT64, 2, 3, 4)}, Attribute.of("perm", 2L, 0L, 1L));
        assertArrayEquals(y.shape(), t[0].shape());
    }

    @Test
    void padModes() {
        Tensor x = iota(1, 3);
        Tensor pads = Tensor.vector(0, 2, 0, 2);
        assertArrayEquals(new long[] {2, 1, 0, 1, 2, 1, 0}, Ops.run1("Pad", new Tensor[] {x, pads}, Attribute.of("mode", "reflect")).longs());
        assertArrayEquals(new long[] {0, 0, 0, 1, 2, 2, 2}, Ops.run1("Pad", new Tensor[] {x, pads}, Attribute.of("mode", "edge")).longs());
        assertArrayEquals(new long[] {9, 9, 0, 1, 2, 9, 9}, Ops.run1("Pad", new Tensor[] {x, pads, Tensor.scalarLong(9)}).longs());
        assertArrayEquals(new long[] {1}, Ops.run1("Pad", new Tensor[] {x, Tensor.vector(0, -1, 0, -1)}).longs());
        UnsupportedOpException u = assertThrows(UnsupportedOpException.class, () -> Ops.run1("Pad", new Tensor[] {x, pads}, Attribute.of("mode", "wrap")));
        assertTrue(u.what().contains("wrap"));
    }

    @Test
    void splitConcatRoundTripAndUnevenNumOutputs() {
        Tensor x = iota(2, 7);
        Tensor[] parts = Ops.run("Split", 18, 3, new Tensor[] {x}, Attribute.of("axis", 1L), Attribute.of("num_outputs", 3L));
        assertArrayEquals(new int[] {2, 3}, parts[0].shape());
        assertArrayEquals(new int[] {2, 1}, parts[2].shape());
        Tensor back = Ops.run("Concat", 17, 1, parts, Attribute.of("axis", 1L))[0];
        assertArrayEquals(x.longs(), back.longs());
    }

    @Test
    void castRoundsToHalfAndTruncatesToInt() {
        Tensor x = Tensor.of(new float[] {1.7f, -1.7f, 65504f * 2, 0f}, 4);
        Tensor i = Ops.run1("Cast", new Tensor[] {x}, Attribute.of("to", (long) DType.INT32.onnx));
        assertArrayEquals(new int[] {1, -1, 131008, 0}, i.ints());
        Tensor h = Ops.run1("Cast", new Tensor[] {x}, Attribute.of("to", (long) DType.FLOAT16.onnx));
        assertTrue(Float.isInfinite(Float.float16ToFloat(h.shorts()[2])));
        Tensor b = Ops.run1("Cast", new Tensor[] {x}, Attribute.of("to", (long) DType.BOOL.onnx));
        assertArrayEquals(new byte[] {1, 1, 1, 0}, b.bytes());
    }

    @Test
    void gatherNegativeIndicesAndRule() {
        Tensor x = iota(3, 2);
        Tensor y = Ops.run1("Gather", new Tensor[] {x, Tensor.ofLongs(new long[] {-1, 0}, 2)});
        assertArrayEquals(new long[] {4, 5, 0, 1}, y.longs());
        assertThrows(NnzipException.class, () -> Ops.run1("Gather", new Tensor[] {x, Tensor.ofLongs(new long[] {3}, 1)}));
    }

    @Test
    void squeezeUnsqueezeAxesFromAttributeOrInput() {
        Tensor x = iota(1, 3, 1);
        assertArrayEquals(new int[] {3}, Ops.run("Squeeze", 11, 1, new Tensor[] {x})[0].shape());
        assertArrayEquals(new int[] {3, 1}, Ops.run("Squeeze", 13, 1, new Tensor[] {x, Tensor.vector(0)})[0].shape());
        assertArrayEquals(new int[] {1, 1, 3, 1}, Ops.run("Unsqueeze", 11, 1, new Tensor[] {x}, Attribute.of("axes", new long[] {1}))[0].shape());
        assertArrayEquals(new int[] {1, 3, 1, 1}, Ops.run("Unsqueeze", 13, 1, new Tensor[] {x, Tensor.vector(-1)})[0].shape());
    }
}
