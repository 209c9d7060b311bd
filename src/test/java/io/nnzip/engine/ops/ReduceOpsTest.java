package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import io.nnzip.engine.ops.support.Values;
import org.junit.jupiter.api.Test;

class ReduceOpsTest {
    /** The float32 vector path (contiguous axes) agrees with the double path on the same values. */
    @Test
    void floatFastPathMatchesDoublePath() {
        int[] s = {3, 4, 5, 70};
        float[] v = Ops.ramp(3 * 4 * 5 * 70, 3, 0.2f);
        Tensor f = Tensor.of(v, s), d = Values.fromDoubles(DType.DOUBLE, s, Values.doubles(f));
        long[][] axesSets = {{1, 2}, {3}, {0}, {-1, -2}, {1, 3}, {0, 1, 2, 3}};
        for (String op : new String[] {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare"})
            for (long[] axes : axesSets)
                for (long keep : new long[] {0, 1}) {
                    Tensor a = Ops.run(op, 11, 1, new Tensor[] {f}, Attribute.of("axes", axes), Attribute.of("keepdims", keep))[0];
                    Tensor b = Ops.run(op, 11, 1, new Tensor[] {d}, Attribute.of("axes", axes), Attribute.of("keepdims", keep))[0];
                    assertArrayEquals(b.shape(), a.shape(), op);
                    double[] want = b.doubles();
                    for (int i = 0; i < want.length; i++) assertEquals(want[i], a.floats()[i], 1e-4 * (1 + Math.abs(want[i])), op + " " + java.util.Arrays.toString(axes));
                }
    }

    @Test
    void argMaxSelectLastIndex() {
        Tensor x = Tensor.of(new float[] {1, 3, 3, 0, 2, 2}, 2, 3);
        assertArrayEquals(new long[] {1, 1}, Ops.run1("ArgMax", new Tensor[] {x}, Attribute.of("axis", 1L), Attribute.of("keepdims", 0L)).longs());
        assertArrayEquals(new long[] {2, 2}, Ops.run1("ArgMax", new Tensor[] {x}, Attribute.of("axis", 1L), Attribute.of("keepdims", 0L), Attribute.of("select_last_index", 1L)).longs());
        assertArrayEquals(new int[] {2, 1}, Ops.run1("ArgMin", new Tensor[] {x}, Attribute.of("axis", 1L)).shape());
    }
}
