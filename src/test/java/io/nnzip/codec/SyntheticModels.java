package io.nnzip.codec;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Random;

/**
 * Small CNNs for codec tests, with weights drawn like trained ones: Laplacian, scaled by fan-in, so their
 * statistics (peaked at zero, heavy tails) match what the codec is designed for. Fashion-MNIST shaped: (N,1,28,28).
 */
public final class SyntheticModels {
    private SyntheticModels() {}

    /** conv(1→c1,3x3)+relu+pool → conv(c1→c2,3x3)+relu+pool → flatten → gemm(c2*7*7→hidden) → relu → gemm(→10). */
    public static Model cnn(long seed, int c1, int c2, int hidden) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("cnn");
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        String w1 = b.init("conv1.weight", laplace(r, c1 * 9, 1.0 / 3), c1, 1, 3, 3);
        String b1 = b.init("conv1.bias", laplace(r, c1, 0.05), c1);
        String y = b.op("Conv", new String[] {x, w1, b1}, Attribute.of("pads", 1L, 1L, 1L, 1L));
        y = b.op("Relu", y);
        y = b.op("MaxPool", y, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
        String w2 = b.init("conv2.weight", laplace(r, c2 * c1 * 9, 1.0 / Math.sqrt(c1 * 9)), c2, c1, 3, 3);
        String b2 = b.init("conv2.bias", laplace(r, c2, 0.05), c2);
        y = b.op("Conv", new String[] {y, w2, b2}, Attribute.of("pads", 1L, 1L, 1L, 1L));
        y = b.op("Relu", y);
        y = b.op("MaxPool", y, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
        String shape = b.init("flat_shape", Tensor.vector(-1, c2 * 49));
        y = b.op("Reshape", y, shape);
        String w3 = b.init("fc1.weight", laplace(r, hidden * c2 * 49, 1.0 / Math.sqrt(c2 * 49)), hidden, c2 * 49);
        String b3 = b.init("fc1.bias", laplace(r, hidden, 0.05), hidden);
        y = b.op("Gemm", new String[] {y, w3, b3}, Attribute.of("transB", 1L));
        y = b.op("Relu", y);
        String w4 = b.init("fc2.weight", laplace(r, 10 * hidden, 1.0 / Math.sqrt(hidden)), 10, hidden);
        String b4 = b.init("fc2.bias", laplace(r, 10, 0.05), 10);
        y = b.op("Gemm", new String[] {y, w4, b4}, Attribute.of("transB", 1L));
        b.rename(y, "logits");
        b.output("logits", DType.FLOAT, -1, 10);
        return b.build(17);
    }

    /** Laplacian samples with standard deviation {@code sd}. */
    public static float[] laplace(Random r, int n, double sd) {
        double scale = sd / Math.sqrt(2);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            w[i] = (float) (-scale * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return w;
    }

    /** A copy of {@code m} with every float weight nudged by Laplacian noise of relative size {@code rel}
     *  on a fraction {@code frac} of layers: a stand-in for one fine-tuning step. */
    public static Model finetune(Model m, long seed, double rel) {
        Random r = new Random(seed);
        Model c = m.copy();
        c.graph().initializers().replaceAll((k, t) -> {
            if (t.dtype() != DType.FLOAT) return t;
            float[] w = t.floats().clone();
            double sd = 0;
            for (float v : w) sd += v * v;
            sd = Math.sqrt(sd / w.length);
            float[] d = laplace(r, w.length, sd * rel);
            for (int i = 0; i < w.length; i++) w[i] += d[i];
            return new Tensor(DType.FLOAT, t.shape(), w);
        });
        return c;
    }
}
