package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.engine.Executor;
import io.nnzip.engine.ShapeInference;
import io.nnzip.engine.ValueType;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ElementwiseOpsTest {
    /** Shape pairs covering the fast-path kinds: same shape, scalar, per-channel, outer product, zero-size, parallel sizes. */
    static Object[][] shapePairs() {
        return new Object[][] {
            {new int[] {37}, new int[] {37}}, {new int[] {2, 3, 4}, new int[] {}}, {new int[] {}, new int[] {5, 3}},
            {new int[] {2, 3, 4, 5}, new int[] {3, 1, 1}}, {new int[] {4, 1}, new int[] {1, 5}}, {new int[] {1, 3}, new int[] {2, 1}},
            {new int[] {2, 3, 4}, new int[] {3, 1}}, {new int[] {0, 3}, new int[] {1, 3}}, {new int[] {3, 1, 2}, new int[] {1, 4, 1}},
            {new int[] {2, 64, 40, 40}, new int[] {64, 1, 1}}, {new int[] {1, 1, 1}, new int[] {1}}, {new int[] {5, 1, 7}, new int[] {5, 6, 7}},
            {new int[] {8, 9000}, new int[] {8, 9000}}, {new int[] {2, 70000}, new int[] {70000}},
        };
    }

    /** Numpy broadcasting computed coordinate by coordinate, independent of the kernels' index maps. */
    static float[] reference(float[] a, int[] sa, float[] b, int[] sb, int[] out, java.util.function.BinaryOperator<Float> f) {
        int n = Shapes.numel(out), r = out.length;
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int rem = i, ia = 0, ib = 0, mulA = 1, mulB = 1;
            for (int d = r - 1; d >= 0; d--) {
                int c = rem % out[d];
                rem /= out[d];
                int da = d - (r - sa.length), db = d - (r - sb.length);
                if (da >= 0) { ia += (sa[da] == 1 ? 0 : c) * mulA; mulA *= sa[da]; }
                if (db >= 0) { ib += (sb[db] == 1 ? 0 : c) * mulB; mulB *= sb[db]; }
            }
            y[i] = f.apply(a[ia], b[ib]);
        }
        return y;
    }

    @ParameterizedTest
    @MethodSource("shapePairs")
    void broadcastArithmeticMatchesReference(int[] sa, int[] sb) {
        float[] a = Ops.ramp(Shapes.numel(sa), 3, 0.5f), b = Ops.ramp(Shapes.numel(sb), 2, 2.5f);
        int[] out = Shapes.broadcast(sa, sb);
        String[] ops = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"};
        java.util.List<java.util.function.BinaryOperator<Float>> fs = java.util.List.of(
            (x, y) -> x + y, (x, y) -> x - y, (x, y) -> x * y, (x, y) -> x / y, Math::max, Math::min, (x, y) -> (float) Math.pow(x, y));
        for (int k = 0; k < ops.length; k++) {
            Tensor y = Ops.run1(ops[k], new Tensor[] {Tensor.of(a, sa), Tensor.of(b, sb)});
            assertArrayEquals(out, y.shape(), ops[k]);
            assertArrayEquals(reference(a, sa, b, sb, out, fs.get(k)), y.floats(), 1e-6f, ops[k] + " " + Shapes.str(sa) + " " + Shapes.str(sb));
        }
    }

    @Test
    void integerAndComparisonBroadcast() {
        Tensor a = Tensor.ofLongs(new long[] {7, -7, 9, 10, -3, 4}, 2, 3), b = Tensor.ofLongs(new long[] {2, 3, -4}, 3);
        assertArrayEquals(new long[] {3, -2, -2, 5, -1, -1}, Ops.run1("Div", new Tensor[] {a, b}).longs());
        assertArrayEquals(new long[] {1, 2, -3, 0, 0, 0}, Ops.run1("Mod", new Tensor[] {a, b}).longs());
        assertArrayEquals(new byte[] {0, 1, 0, 0, 1, 0}, Ops.run1("Less", new Tensor[] {a, b}).bytes());
        Tensor nan = Tensor.of(new float[] {Float.NaN, 1f}, 2);
        assertArrayEquals(new byte[] {0, 1}, Ops.run1("Equal", new Tensor[] {nan, Tensor.of(new float[] {Float.NaN, 1f}, 2)}).bytes());
    }

    @Test
    void whereBroadcastsAllThree() {
        Tensor c = new Tensor(DType.BOOL, new int[] {2, 1}, new byte[] {1, 0});
        Tensor x = Tensor.ofLongs(new long[] {1, 2, 3}, 3), y = Tensor.ofLongs(new long[] {-1}, 1);
        Tensor r = Ops.run1("Where", new Tensor[] {c, x, y});
        assertArrayEquals(new int[] {2, 3}, r.shape());
        assertArrayEquals(new long[] {1, 2, 3, -1, -1, -1}, r.longs());
    }

    @Test
    void shapeRuleBroadcastsUnknownDims() {
        ValueType[] out = Ops.infer("Add", 17, 1, new ValueType[] {ValueType.of(DType.FLOAT, -1, 3, 1), ValueType.of(DType.FLOAT, 4)});
        assertArrayEquals(new int[] {-1, 3, 4}, out[0].shape());
    }

    @Test
    void addShapeMismatchNamesBothShapes() {
        GraphBuilder b = new GraphBuilder("g");
        String x = b.input("x", DType.FLOAT, 2, 3), w = b.init("w", new float[4], 4);
        String y = b.op("Add", x, w);
        b.output(y, DType.FLOAT);
        Model m = b.build(17);
        NnzipException run = assertThrows(NnzipException.class,
                () -> new Executor(m).run(Map.of("x", Tensor.of(new float[6], 2, 3))));
        assertTrue(run.getMessage().contains("Add") && run.getMessage().contains("[2, 3]") && run.getMessage().contains("[4]"), run.getMessage());
        NnzipException infer = assertThrows(NnzipException.class, () -> ShapeInference.infer(m));
        assertTrue(infer.getMessage().contains("[2, 3]") && infer.getMessage().contains("[4]"), infer.getMessage());
    }

    @Test
    void mixedTypesAreRejected() {
        NnzipException e = assertThrows(NnzipException.class,
                () -> Ops.run1("Add", new Tensor[] {Tensor.of(new float[] {1}, 1), Tensor.ofLongs(new long[] {1}, 1)}));
        assertTrue(e.getMessage().contains("float") && e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void meanOfThree() {
        Tensor r = Ops.run1("Mean", new Tensor[] {Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {3}, 1), Tensor.of(new float[] {5, 7}, 2)});
        assertArrayEquals(new float[] {3, 4}, r.floats(), 1e-6f);
        assertEquals(DType.FLOAT, r.dtype());
    }
}
