package io.nnzip.models;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.SplittableRandom;

/**
 * The 3-conv CNN as {@code torch.onnx.export(model, x, f, opset_version=13, training=TrainingMode.TRAINING,
 * input_names=["input.1"], output_names=["output"], dynamic_axes={"input.1": {0: "batch"}})} writes it, for
 * fine-tuning tests and demos of imported models:
 * <pre>
 * [Conv(bias) → BatchNormalization(momentum 0.9, running stats) → Relu → MaxPool 2] ×3
 * → Shape → Gather(0) → Unsqueeze → Concat(·, [-1]) → Reshape           (x.view(x.size(0), -1))
 * → Gemm(transB = 1) → Relu → Dropout(ratio input) → Gemm(transB = 1)   (nn.Linear weights are (out, in))
 * </pre>
 * Node and initializer names follow the exporter's ("onnx::Conv_…", "fc1.weight"). Weights are PyTorch's default
 * init (uniform ±1/sqrt(fan_in)) from the seed.
 */
public final class TorchExportedCnn {
    private TorchExportedCnn() {}

    public static Model build(int c1, int c2, int c3, int hidden, int classes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        GraphBuilder b = new GraphBuilder("torch_jit");
        String x = b.input("input.1", DType.FLOAT, -1, 1, 28, 28);
        int cin = 1, side = 28, i = 0;
        for (int c : new int[] {c1, c2, c3}) {
            String w = b.init("features." + i + ".weight", uniform(rnd, c * cin * 9, 1 / Math.sqrt(cin * 9.0)), c, cin, 3, 3);
            String bias = b.init("features." + i + ".bias", uniform(rnd, c, 1 / Math.sqrt(cin * 9.0)), c);
            x = b.op("Conv", new String[] {x, w, bias}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", 1L),
                    Attribute.of("kernel_shape", 3L, 3L), Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("strides", 1L, 1L));
            float[] ones = new float[c];
            java.util.Arrays.fill(ones, 1f);
            String p = "features." + (i + 1);
            x = b.op("BatchNormalization", new String[] {x, b.init(p + ".weight", ones.clone(), c), b.init(p + ".bias", new float[c], c),
                    b.init(p + ".running_mean", new float[c], c), b.init(p + ".running_var", ones, c)},
                    Attribute.of("epsilon", 1e-5f), Attribute.of("momentum", 0.9f));
            x = b.op("Relu", x);
            x = b.op("MaxPool", x, Attribute.of("ceil_mode", 0L), Attribute.of("kernel_shape", 2L, 2L), Attribute.of("pads", 0L, 0L, 0L, 0L),
                    Attribute.of("strides", 2L, 2L));
            cin = c;
            side /= 2;
            i += 4;
        }
        String shape = b.op("Shape", x);
        String n = b.op("Gather", new String[] {shape, b.init("onnx::Gather_1", Tensor.scalarLong(0))}, Attribute.of("axis", 0L));
        String nn = b.op("Unsqueeze", new String[] {n, b.init("onnx::Unsqueeze_2", Tensor.vector(0))});
        String target = b.op("Concat", new String[] {nn, b.init("onnx::Concat_3", Tensor.vector(-1))}, Attribute.of("axis", 0L));
        x = b.op("Reshape", x, target);
        int flat = cin * side * side;
        x = b.op("Gemm", new String[] {x, b.init("fc1.weight", uniform(rnd, hidden * flat, 1 / Math.sqrt(flat)), hidden, flat),
                b.init("fc1.bias", uniform(rnd, hidden, 1 / Math.sqrt(flat)), hidden)}, Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        x = b.op("Relu", x);
        x = b.op("Dropout", new String[] {x, b.init("onnx::Dropout_4", Tensor.scalar(0.5f))});
        x = b.op("Gemm", new String[] {x, b.init("fc2.weight", uniform(rnd, classes * hidden, 1 / Math.sqrt(hidden)), classes, hidden),
                b.init("fc2.bias", uniform(rnd, classes, 1 / Math.sqrt(hidden)), classes)}, Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        b.rename(x, "output");
        b.output("output", DType.FLOAT, -1, classes);
        Model m = b.build(13);
        m.setProducerName("pytorch");
        m.setProducerVersion("1.13.1");
        m.setIrVersion(7);
        return m;
    }

    private static float[] uniform(SplittableRandom r, int n, double bound) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        return w;
    }
}
