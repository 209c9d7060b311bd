package io.nnzip.eval.bench;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.SplittableRandom;

/**
 * The benchmark CNN for Fashion-MNIST, built in code with random (He-scaled) weights:
 * <pre>
 * x (N,1,28,28) → [Conv3×3 32, BN, ReLU, MaxPool2] → (N,32,14,14) → [Conv3×3 64, BN, ReLU, MaxPool2] → (N,64,7,7)
 *   → [Conv3×3 128, BN, ReLU, MaxPool2] → (N,128,3,3) → Flatten (N,1152) → Gemm 256, ReLU → Gemm 10 → logits (N,10)
 * </pre>
 */
public final class CnnModel {
    private CnnModel() {}

    public static Model build(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        GraphBuilder g = new GraphBuilder("fashion_cnn");
        String h = g.input("x", DType.FLOAT, -1, 1, 28, 28);
        int c = 1;
        for (int k : new int[] {32, 64, 128}) {
            String w = g.init("conv" + k + ".w", Tensor.of(he(r, k * c * 9, c * 9), k, c, 3, 3));
            String b = g.init("conv" + k + ".b", uniform(r, k, -0.1, 0.1), k);
            h = g.op("Conv", new String[] {h, w, b}, Attribute.of("kernel_shape", 3L, 3L), Attribute.of("pads", 1L, 1L, 1L, 1L));
            h = g.op("BatchNormalization", new String[] {h, g.init("bn" + k + ".gamma", uniform(r, k, 0.5, 1.5), k),
                    g.init("bn" + k + ".beta", uniform(r, k, -0.2, 0.2), k), g.init("bn" + k + ".mean", uniform(r, k, -0.2, 0.2), k),
                    g.init("bn" + k + ".var", uniform(r, k, 0.5, 1.5), k)}, Attribute.of("epsilon", 1e-5f));
            h = g.op("Relu", h);
            h = g.op("MaxPool", h, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
            c = k;
        }
        h = g.op("Flatten", h, Attribute.of("axis", 1L));
        h = g.op("Gemm", new String[] {h, g.init("fc1.w", Tensor.of(he(r, 256 * 1152, 1152), 256, 1152)), g.init("fc1.b", uniform(r, 256, -0.1, 0.1), 256)},
                Attribute.of("transB", 1L));
        h = g.op("Relu", h);
        h = g.op("Gemm", new String[] {h, g.init("fc2.w", Tensor.of(he(r, 10 * 256, 256), 10, 256)), g.init("fc2.b", uniform(r, 10, -0.1, 0.1), 10)},
                Attribute.of("transB", 1L));
        g.output(g.rename(h, "logits"), DType.FLOAT, -1, 10);
        return g.build(17);
    }

    /** A random batch of inputs in [0, 1), like normalized images. */
    public static Tensor input(int batch, long seed) {
        return Tensor.of(uniform(new SplittableRandom(seed), batch * 784, 0, 1), batch, 1, 28, 28);
    }

    private static float[] he(SplittableRandom r, int n, int fanIn) {
        float[] v = new float[n];
        double s = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) v[i] = (float) (gaussian(r) * s);
        return v;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }
}
