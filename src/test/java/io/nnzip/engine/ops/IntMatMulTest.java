package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IntMatMulTest {
    private static Tensor int8(Random r, int... shape) {
        byte[] b = new byte[Shapes.numel(shape)];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (r.nextInt(256) - 128);
        return new Tensor(DType.INT8, shape, b);
    }

    private static Tensor shifted(Tensor t, long zp) {
        double[] d = Values.doubles(t);
        for (int i = 0; i < d.length; i++) d[i] -= zp;
        return Values.fromDoubles(DType.FLOAT, t.shape(), d);
    }

    /** MatMulInteger equals the float MatMul of the zero-point-shifted operands (exact: sums stay below 2^24). */
    @Test
    void matchesFloatMatMulWithBroadcastAndVectors() {
        Random r = new Random(7);
        int[][][] cases = {{{2, 1, 3, 4}, {5, 4, 6}}, {{4}, {3, 4, 2}}, {{3, 4}, {4}}, {{1, 3, 4}, {4, 2}}};
        for (int[][] c : cases) {
            Tensor a = int8(r, c[0]), b = int8(r, c[1]);
            Tensor za = new Tensor(DType.INT8, new int[0], new byte[] {3}), zb = new Tensor(DType.INT8, new int[0], new byte[] {-2});
            Tensor got = Ops.run1("MatMulInteger", new Tensor[] {a, b, za, zb});
            Tensor want = Ops.run1("MatMul", new Tensor[] {shifted(a, 3), shifted(b, -2)});
            assertArrayEquals(want.shape(), got.shape(), Shapes.str(c[0]) + " @ " + Shapes.str(c[1]));
            for (int i = 0; i < got.size(); i++) assertEquals(want.floats()[i], got.ints()[i], 0.0);
        }
    }
}
