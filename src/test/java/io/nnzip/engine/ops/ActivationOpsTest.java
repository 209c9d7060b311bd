package io.nnzip.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.engine.ops.support.Special;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.Tensor;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class ActivationOpsTest {
    /** Vector loops and their scalar tails (odd lengths, parallel chunks) against the formulas in double. */
    @Test
    void vectorizedActivationsMatchFormulas() {
        for (int n : new int[] {1, 15, 16, 37, 100_003}) {
            float[] x = Ops.ramp(n, 6, 0.25f);
            check("Relu", x, v -> Math.max(0, v));
            check("Sigmoid", x, v -> 1 / (1 + Math.exp(-v)));
            check("Tanh", x, Math::tanh);
            check("Exp", x, Math::exp);
            check("HardSwish", x, v -> v * Math.max(0, Math.min(1, v / 6 + 0.5)));
            check("LeakyRelu", x, v -> v < 0 ? 0.1 * v : v, Attribute.of("alpha", 0.1f));
            check("HardSigmoid", x, v -> Math.max(0, Math.min(1, 0.3 * v + 0.4)), Attribute.of("alpha", 0.3f), Attribute.of("beta", 0.4f));
        }
    }

    private static void check(String op, float[] x, DoubleUnaryOperator f, Attribute... attrs) {
        float[] y = Ops.run1(op, new Tensor[] {Tensor.of(x, x.length)}, attrs).floats();
        for (int i = 0; i < x.length; i++) {
            double want = f.applyAsDouble(x[i]);
            assertEquals(want, y[i], 1e-5 + 1e-5 * Math.abs(want), op + " at " + i + " x=" + x[i]);
        }
    }

    @Test
    void erfMatchesKnownValues() {
        // Values from Abramowitz & Stegun table 7.1.
        assertEquals(0.5204998778, Special.erf(0.5), 1e-9);
        assertEquals(0.8427007929, Special.erf(1.0), 1e-9);
        assertEquals(0.9953222650, Special.erf(2.0), 1e-9);
        assertEquals(-0.9999779095, Special.erf(-3.0), 1e-9);
    }

    @Test
    void softmaxAxisSemanticsChangeAtOpset13() {
        int[] s = {2, 3, 4};
        float[] x = Ops.ramp(24, 2, 0);
        float[] old = Ops.run("Softmax", 11, 1, new Tensor[] {Tensor.of(x, s)}, Attribute.of("axis", 1L))[0].floats();
        float[] now = Ops.run("Softmax", 13, 1, new Tensor[] {Tensor.of(x, s)}, Attribute.of("axis", 1L))[0].floats();
        // Opset 11 normalizes each batch row of 12 values; opset 13 each column of 3 values along dim 1.
        for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (int i = 0; i < 12; i++) sum += old[b * 12 + i];
            assertEquals(1, sum, 1e-5);
            for (int w = 0; w < 4; w++) {
                double col = 0;
                for (int c = 0; c < 3; c++) col += now[b * 12 + c * 4 + w];
                assertEquals(1, col, 1e-5);
            }
        }
        float[] log = Ops.run("LogSoftmax", 13, 1, new Tensor[] {Tensor.of(x, s)}, Attribute.of("axis", 1L))[0].floats();
        for (int i = 0; i < 24; i++) assertEquals(Math.log(now[i]), log[i], 1e-5);
    }

    @Test
    void clipAcceptsAttributesBeforeOpset11AndInputsAfter() {
        Tensor x = Tensor.of(new float[] {-3, 0.5f, 7}, 3);
        float[] a = Ops.run("Clip", 6, 1, new Tensor[] {x}, Attribute.of("min", -1f), Attribute.of("max", 1f))[0].floats();
        float[] b = Ops.run("Clip", 13, 1, new Tensor[] {x, Tensor.scalar(-1f), Tensor.scalar(1f)})[0].floats();
        assertArrayEquals(new float[] {-1, 0.5f, 1}, a);
        assertArrayEquals(a, b);
    }
}
