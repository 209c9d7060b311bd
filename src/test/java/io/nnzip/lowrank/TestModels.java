package io.nnzip.lowrank;

import io.nnzip.engine.Executor;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.util.Map;
import java.util.SplittableRandom;

/** Small exporter-style models with seeded random weights, and helpers to run and compare them. */
public final class TestModels {
    private TestModels() {}

    public static float[] gaussian(int n, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        return x;
    }

    /** in → hidden… → out, Gemm with transB = 1 (PyTorch's Linear export) and ReLU between. */
    public static Model mlp(long seed, int... widths) {
        GraphBuilder b = new GraphBuilder("mlp");
        String x = b.input("input", DType.FLOAT, -1, widths[0]);
        for (int i = 1; i < widths.length; i++) {
            String w = b.init("fc" + i + ".weight", gaussian(widths[i] * widths[i - 1], Math.sqrt(2.0 / widths[i - 1]), seed + i), widths[i], widths[i - 1]);
            String bias = b.init("fc" + i + ".bias", gaussian(widths[i], 0.05, seed + 100 + i), widths[i]);
            x = b.op("Gemm", new String[] {x, w, bias}, Attribute.of("transB", 1L));
            b.graph().nodes().getLast().setName("fc" + i);
            if (i < widths.length - 1) x = b.op("Relu", x);
        }
        b.rename(x, "output");
        b.output("output", DType.FLOAT, -1, widths[widths.length - 1]);
        return b.build(13);
    }

    public static String conv(GraphBuilder b, String x, String name, int cin, int cout, int k, int stride, int pad, long seed) {
        String w = b.init(name + ".weight", gaussian(cout * cin * k * k, Math.sqrt(2.0 / (cin * k * k)), seed), cout, cin, k, k);
        String bias = b.init(name + ".bias", gaussian(cout, 0.05, seed + 1), cout);
        String y = b.op("Conv", new String[] {x, w, bias}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", 1L),
                Attribute.of("kernel_shape", (long) k, (long) k), Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad),
                Attribute.of("strides", (long) stride, (long) stride));
        b.graph().nodes().getLast().setName(name);
        return y;
    }

    /** A 3-conv CNN shaped like the Fashion-MNIST one, smaller: (N,1,s,s) → 3 convs → GAP → Gemm. */
    public static Model cnn(long seed, int size, int c1, int c2, int c3) {
        GraphBuilder b = new GraphBuilder("cnn");
        String x = b.input("input", DType.FLOAT, -1, 1, size, size);
        x = b.op("Relu", conv(b, x, "conv1", 1, c1, 3, 1, 1, seed));
        x = b.op("Relu", conv(b, x, "conv2", c1, c2, 3, 2, 1, seed + 10));
        x = b.op("Relu", conv(b, x, "conv3", c2, c3, 3, 1, 1, seed + 20));
        x = b.op("Flatten", b.op("GlobalAveragePool", x), Attribute.of("axis", 1L));
        String w = b.init("fc.weight", gaussian(10 * c3, Math.sqrt(1.0 / c3), seed + 30), 10, c3);
        String bias = b.init("fc.bias", new float[10], 10);
        x = b.op("Gemm", new String[] {x, w, bias}, Attribute.of("transB", 1L));
        b.graph().nodes().getLast().setName("fc");
        b.rename(x, "output");
        b.output("output", DType.FLOAT, -1, 10);
        return b.build(13);
    }

    /** A model of one convolution with the given kernel and attributes, as the direct reference. */
    public static Model singleConv(float[] w, int k, int c, int r, int s, int h, int wd, long[] strides, long[] pads, float[] bias) {
        GraphBuilder b = new GraphBuilder("conv");
        String x = b.input("input", DType.FLOAT, -1, c, h, wd);
        String wn = b.init("w", w, k, c, r, s);
        String[] ins = bias == null ? new String[] {x, wn} : new String[] {x, wn, b.init("b", bias, k)};
        String y = b.op("Conv", ins, Attribute.of("kernel_shape", (long) r, (long) s), Attribute.of("pads", pads), Attribute.of("strides", strides));
        b.rename(y, "output");
        b.output("output", DType.FLOAT);
        return b.build(13);
    }

    public static Tensor input(long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return Tensor.of(gaussian(n, 1, seed), shape);
    }

    public static float[] run(Model m, Tensor x) { return new Executor(m).run(Map.of("input", x)).get("output").floats(); }

    /** Runs in ONNX Runtime after a byte round trip, as a user's file would be loaded. */
    public static float[] runOrt(Model m, Tensor x) {
        Model back = OnnxReader.read(OnnxWriter.toBytes(m), null);
        try (OrtRunner r = new OrtRunner(back, 1)) {
            return r.run(Map.of("input", x)).get("output").floats();
        }
    }

    public static double relDiff(float[] a, float[] b) {
        double e = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            e += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(e / Math.max(n, 1e-300));
    }

    public static double norm(float[] a) {
        double n = 0;
        for (float v : a) n += (double) v * v;
        return Math.sqrt(n);
    }
}
