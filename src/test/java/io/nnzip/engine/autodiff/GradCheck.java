package io.nnzip.engine.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.nnzip.engine.Parallel;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks a gradient rule against central finite differences of a double-precision reference forward.
 * L = Σ dy·f(x); the rule's dL/dx (computed in float) must match (L(x+h) − L(x−h)) / 2h elementwise.
 */
final class GradCheck {
    static final Parallel PAR = new Parallel(2);

    private GradCheck() {}

    static double[] random(Random r, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = (float) (r.nextGaussian());
        return d;
    }

    /** inputs[i] null for an omitted input; ints[i] non-null for an integer (non-differentiable) input. */
    static void check(Node node, int opset, double[][] inputs, int[][] shapes, boolean[] need,
                      Function<double[][], double[]> forward, int[] outShape, Object saved) {
        check(node, opset, inputs, shapes, need, forward, outShape, saved, new Tensor[inputs.length]);
    }

    /** As above; {@code fixed[i]} non-null is passed as input i instead (indices, conditions, shapes: not differentiated). */
    static void check(Node node, int opset, double[][] inputs, int[][] shapes, boolean[] need,
                      Function<double[][], double[]> forward, int[] outShape, Object saved, Tensor[] fixed) {
        Random r = new Random(7);
        double[] y = forward.apply(inputs);
        assertEquals(Shapes.numel(outShape), y.length, "reference output size");
        double[] dy = random(r, y.length);
        Tensor[] in = new Tensor[inputs.length];
        for (int i = 0; i < in.length; i++) in[i] = fixed[i] != null ? fixed[i] : inputs[i] == null ? null : Tensor.of(toFloat(inputs[i]), shapes[i]);
        Tensor[] out = {Tensor.of(toFloat(y), outShape)};
        Tensor[] dOut = {Tensor.of(toFloat(dy), outShape)};
        Tensor[] g = GradRules.get(node.opType()).backward(new GradStep(node, in, out, dOut, need, saved, opset, PAR, new io.nnzip.engine.autodiff.kernels.ArrayPool()));
        for (int i = 0; i < inputs.length; i++) {
            if (!need[i]) continue;
            assertNotNull(g[i], node.opType() + ": no gradient for input " + i);
            assertEquals(Shapes.str(shapes[i]), Shapes.str(g[i].shape()), "gradient shape of input " + i);
            float[] analytic = g[i].floats();
            int n = inputs[i].length, step = Math.max(1, n / 40);
            for (int e = 0; e < n; e += step) {
                double orig = inputs[i][e], h = 1e-6;
                inputs[i][e] = orig + h;
                double lp = dot(dy, forward.apply(inputs));
                inputs[i][e] = orig - h;
                double lm = dot(dy, forward.apply(inputs));
                inputs[i][e] = orig;
                double numeric = (lp - lm) / (2 * h);
                double tol = 2e-3 * Math.max(1, Math.abs(numeric));
                assertEquals(numeric, analytic[e], tol, node.opType() + ": d/d input " + i + " element " + e);
            }
        }
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static Tensor floatTensor(double[] d, int... shape) { return new Tensor(DType.FLOAT, shape, toFloat(d)); }
}
