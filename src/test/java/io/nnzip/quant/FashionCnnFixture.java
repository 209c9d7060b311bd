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
 * The 3-conv Fashion-MNIST CNN as PyTorch's exporter writes it (opset 13): three Conv(3×3, pad 1)→Relu→MaxPool(2)
 * stages with 16/32/64 channels, Flatten, Gemm(576→10, transB). Weights come from an .npz (keys c1w c1b c2w c2b
 * c3w c3b fw fb) or, for structural tests, from a seed. Inputs are normalized with mean 0.2860 / std 0.3530,
 * recorded in the metadata.
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

    /** Writes the fixture as ONNX: {@code FashionCnnFixture weights.npz out.onnx} (or "random" for weights). */
    public static void main(String[] args) throws Exception {
        Model m = args[0].equals("random") ? random(1) : build(Npy.readNpz(Path.of(args[0])));
        if (!args[0].equals("random") && !Files.exists(Path.of(args[0]))) throw new IllegalArgumentException(args[0]);
        AtomicFiles.write(Path.of(args[1]), OnnxWriter.toBytes(m));
    }
}
