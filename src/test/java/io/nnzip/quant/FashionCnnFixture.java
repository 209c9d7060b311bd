package io.nnzip.quant;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A 3-conv Fashion-MNIST CNN as PyTorch's exporter writes it (opset 13): three Conv(3×3, pad 1)→Relu→MaxPool(2)
 * stages with 16/32/64 channels, Flatten, Gemm(576→10, transB). Weights come from an .npz (keys c1w c1b c2w c2b
 * c3w c3b fw fb) or, for structural tests, from a seed. Inputs are normalized with mean 0.2860 / std 0.3530,
 * recorded in the metadata. {@link #exported} is the larger benchmark variant with BatchNorm, the exporter's
 * view-flatten subgraph, a hidden FC layer and Dropout.
 */
public final class FashionCnnFixture {
    private FashionCnnFixture() {}

    public static Model build(Map<String, Tensor> w) {
        GraphBuilder b = new GraphBuilder("fashion_cnn3");
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        for (int i = 1; i <= 3; i++) {
            String wn = b.init("conv" + i + ".weight", w.get("c" + i + "w")), bn = b.init("conv" + i + ".bias", w.get("c" + i + "b"));
            x = b.op("Conv", new String[] {x, wn, bn}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", 1L),
                    Attribute.of("kernel_shape", 3L, 3L), Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("strides", 1L, 1L));
            x = b.op("Relu", x);
            x = b.op("MaxPool", x, Attribute.of("ceil_mode", 0L), Attribute.of("kernel_shape", 2L, 2L), Attribute.of("pads", 0L, 0L, 0L, 0L),
                    Attribute.of("strides", 2L, 2L));
        }
        x = b.op("Flatten", x, Attribute.of("axis", 1L));
        x = b.op("Gemm", new String[] {x, b.init("fc.weight", w.get("fw")), b.init("fc.bias", w.get("fb"))},
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        b.output(b.rename(x, "output"), DType.FLOAT, -1, 10);
        Model m = b.build(13);
        m.setProducerName("pytorch-style (nnzip test fixture)");
        m.metadata().put("nnzip.input.mean", "0.2860");
        m.metadata().put("nnzip.input.std", "0.3530");
        return m;
    }

    /**
     * The benchmark CNN as torch.onnx.export (eval, opset 13, no constant folding) writes it: [Conv 3×3 → BN → Relu →
     * MaxPool 2] × 3 (16/32/64), x.view(x.size(0), -1) as Shape→Gather→Unsqueeze→Concat→Reshape, Gemm 576→128,
     * Relu, Dropout, Gemm 128→10. He-initialized from a seed (train it with {@code nnzip train --init}).
     */
    public static Model exported(long seed) { return exported(seed, 16, 32, 64, 128); }

    public static Model exported(long seed, int c1, int c2, int c3, int hidden) {
        SplittableRandom r = new SplittableRandom(seed);
        GraphBuilder b = new GraphBuilder("torch_jit");
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        int cin = 1;
        int[] widths = {c1, c2, c3};
        for (int i = 0; i < 3; i++) {
            int c = widths[i];
            String wn = b.init("features." + (4 * i) + ".weight", he(r, c, cin, 3, 3)), bn = b.init("features." + (4 * i) + ".bias", small(r, c));
            x = b.op("Conv", new String[] {x, wn, bn}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", 1L),
                    Attribute.of("kernel_shape", 3L, 3L), Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("strides", 1L, 1L));
            float[] ones = new float[c];
            java.util.Arrays.fill(ones, 1f);
            String p = "features." + (4 * i + 1);
            x = b.op("BatchNormalization", new String[] {x, b.init(p + ".weight", Tensor.of(ones.clone(), c)), b.init(p + ".bias", Tensor.of(new float[c], c)),
                    b.init(p + ".running_mean", Tensor.of(new float[c], c)), b.init(p + ".running_var", Tensor.of(ones, c))},
                    Attribute.of("epsilon", 1e-5f), Attribute.of("momentum", 0.9f));
            x = b.op("Relu", x);
            x = b.op("MaxPool", x, Attribute.of("ceil_mode", 0L), Attribute.of("kernel_shape", 2L, 2L), Attribute.of("pads", 0L, 0L, 0L, 0L),
                    Attribute.of("strides", 2L, 2L));
            cin = c;
        }
        String shape = b.op("Shape", x);
        String n = b.op("Gather", new String[] {shape, b.init("onnx::Gather_1", Tensor.scalarLong(0))}, Attribute.of("axis", 0L));
        String nn = b.op("Unsqueeze", new String[] {n, b.init("onnx::Unsqueeze_2", Tensor.vector(0))});
        String target = b.op("Concat", new String[] {nn, b.init("onnx::Concat_3", Tensor.vector(-1))}, Attribute.of("axis", 0L));
        x = b.op("Reshape", x, target);
        x = b.op("Gemm", new String[] {x, b.init("fc1.weight", he(r, hidden, c3 * 9)), b.init("fc1.bias", small(r, hidden))},
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        x = b.op("Relu", x);
        x = b.op("Dropout", new String[] {x, b.init("onnx::Dropout_4", Tensor.scalar(0.25f))});
        x = b.op("Gemm", new String[] {x, b.init("fc2.weight", he(r, 10, hidden)), b.init("fc2.bias", small(r, 10))},
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        b.output(b.rename(x, "output"), DType.FLOAT, -1, 10);
        Model m = b.build(13);
        m.setProducerName("pytorch");
        m.metadata().put("nnzip.input.mean", "0.2860");
        m.metadata().put("nnzip.input.std", "0.3530");
        return m;
    }

    public static Model random(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return build(Map.of("c1w", he(r, 16, 1, 3, 3), "c1b", small(r, 16), "c2w", he(r, 32, 16, 3, 3), "c2b", small(r, 32),
                "c3w", he(r, 64, 32, 3, 3), "c3b", small(r, 64), "fw", he(r, 10, 576), "fb", small(r, 10)));
    }

    static Tensor he(SplittableRandom r, int... shape) {
        int n = 1, fan = 1;
        for (int d : shape) n *= d;
        for (int i = 1; i < shape.length; i++) fan *= shape[i];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * Math.sqrt(6.0 / fan));
        return Tensor.of(v, shape);
    }

    static Tensor small(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() - 0.5) * 0.1);
        return Tensor.of(v, n);
    }

    /** Writes the fixture as ONNX: {@code FashionCnnFixture weights.npz|random|exported|exported-wide out.onnx}. */
    public static void main(String[] args) throws Exception {
        Model m = switch (args[0]) {
            case "random" -> random(1);
            case "exported" -> exported(1);
            case "exported-wide" -> exported(1, 32, 64, 128, 256);
            default -> {
                if (!Files.exists(Path.of(args[0]))) throw new IllegalArgumentException(args[0]);
                yield build(Npy.readNpz(Path.of(args[0])));
            }
        };
        AtomicFiles.write(Path.of(args[1]), OnnxWriter.toBytes(m));
    }
}
