package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Tensor;
import org.junit.jupiter.api.Test;

class MaxPoolVectorTest {
    /** float32 takes the vector row path; float64 the scalar one: both must give the same maxima. */
    @Test
    void vectorRowsMatchScalarWindows() {
        int[] s = {1, 3, 37, 75};
        Tensor f = Tensor.of(Ops.ramp(3 * 37 * 75, 5, 0), s), d = Values.fromDoubles(DType.DOUBLE, s, Values.doubles(f));
        long[][] configs = {{3, 2, 1, 0}, {3, 1, 1, 0}, {2, 2, 0, 0}, {3, 2, 0, 1}, {5, 1, 2, 1}, {1, 2, 0, 0}};
        for (long[] c : configs) {
            Attribute[] a = {Attribute.of("kernel_shape", c[0], c[0]), Attribute.of("strides", c[1], c[1]),
                Attribute.of("pads", c[2], c[2], c[2], c[2]), Attribute.of("ceil_mode", c[3])};
            Tensor yf = Ops.run1("MaxPool", new Tensor[] {f}, a), yd = Ops.run1("MaxPool", new Tensor[] {d}, a);
            assertArrayEquals(yd.shape(), yf.shape());
            double[] want = yd.doubles();
            float[] got = yf.floats();
            for (int i = 0; i < got.length; i++) assertArrayEquals(new float[] {(float) want[i]}, new float[] {got[i]}, java.util.Arrays.toString(c) + " at " + i);
        }
    }
}
