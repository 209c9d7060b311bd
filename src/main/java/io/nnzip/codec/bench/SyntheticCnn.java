package io.nnzip.codec.bench;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Random;

/**
 * A Fashion-MNIST-shaped CNN whose weights are drawn like trained ones (Laplacian, scaled by 1/sqrt(fan-in)) — the
 * benchmark's stand-in when no trained model is given. Its figures are for throughput and for the coder's closeness
 * to the entropy bound; compression ratios on trained models must be measured on trained models.
 */
public final class SyntheticCnn {
    private SyntheticCnn() {}

    public static Model build(long seed, int c1, int c2, int hidden) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("cnn");
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        String y = conv(b, r, x, "conv1", 1, c1);
        y = conv(b, r, y, "conv2", c1, c2);
        y = b.op("Reshape", y, b.init("flat_shape", Tensor.vector(-1, c2 * 49)));
        y = b.op("Relu", gemm(b, r, y, "fc1", c2 * 49, hidden));
        y = gemm(b, r, y, "fc2", hidden, 10);
        b.rename(y, "logits");
        b.output("logits", DType.FLOAT, -1, 10);
        return b.build(17);
    }

    private static String conv(GraphBuilder b, Random r, String x, String name, int cin, int cout) {
        String w = b.init(name + ".weight", laplace(r, cout * cin * 9, 1.0 / Math.sqrt(cin * 9)), cout, cin, 3, 3);
        String bias = b.init(name + ".bias", laplace(r, cout, 0.05), cout);
        String y = b.op("Relu", b.op("Conv", new String[] {x, w, bias}, Attribute.of("pads", 1L, 1L, 1L, 1L)));
        return b.op("MaxPool", y, Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L));
    }

    private static String gemm(GraphBuilder b, Random r, String x, String name, int in, int out) {
        String w = b.init(name + ".weight", laplace(r, out * in, 1.0 / Math.sqrt(in)), out, in);
        String bias = b.init(name + ".bias", laplace(r, out, 0.05), out);
        return b.op("Gemm", new String[] {x, w, bias}, Attribute.of("transB", 1L));
    }

    public static float[] laplace(Random r, int n, double sd) {
        double scale = sd / Math.sqrt(2);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            w[i] = (float) (-scale * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return w;
    }
}
