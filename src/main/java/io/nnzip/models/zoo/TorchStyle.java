package io.nnzip.models.zoo;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.SplittableRandom;

/**
 * Emits layers the way PyTorch's ONNX exporter does in eval mode at opset 13: BatchNorm folded into the
 * conv's bias, ReLU6 as Clip with min/max inputs, {@code view(b, ...)} as a Shape→Gather→Unsqueeze→Concat
 * →Reshape subgraph, {@code chunk} as Split with a split input. Weights are He-initialized from a seed, so graphs
 * are deterministic and activations keep a sane scale through depth.
 */
public final class TorchStyle {
    public static final int OPSET = 13;
    final GraphBuilder b;
    private final SplittableRandom rnd;
    private int layer;

    public TorchStyle(String name, long seed) {
        b = new GraphBuilder(name);
        rnd = new SplittableRandom(seed);
    }

    public GraphBuilder builder() { return b; }

    public String input(int c, int h, int w) { return b.input("input", DType.FLOAT, -1, c, h, w); }

    /** Conv with folded BN (so it always has a bias), PyTorch's symmetric padding. */
    public String conv(String x, int cin, int cout, int k, int stride, int pad, int groups) {
        String p = "conv" + (layer++);
        float[] w = new float[cout * (cin / groups) * k * k];
        double std = Math.sqrt(2.0 / ((cin / groups) * k * k));
        for (int i = 0; i < w.length; i++) w[i] = (float) (gaussian() * std);
        float[] bias = new float[cout];
        for (int i = 0; i < cout; i++) bias[i] = (float) (gaussian() * 0.05);
        String wn = b.init(p + ".weight", w, cout, cin / groups, k, k);
        String bn = b.init(p + ".bias", bias, cout);
        return b.op("Conv", new String[] {x, wn, bn}, Attribute.of("dilations", 1L, 1L), Attribute.of("group", (long) groups),
                Attribute.of("kernel_shape", (long) k, (long) k), Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad),
                Attribute.of("strides", (long) stride, (long) stride));
    }

    public String relu(String x) { return b.op("Relu", x); }

    /** ReLU6 as exported at opset ≥ 11: Clip with scalar min/max inputs. */
    public String relu6(String x) {
        String lo = b.init("clip_min", Tensor.scalar(0f)), hi = b.init("clip_max", Tensor.scalar(6f));
        return b.op("Clip", new String[] {x, lo, hi});
    }

    public String maxPool(String x, int k, int stride, int pad, boolean ceil) {
        return b.op("MaxPool", x, Attribute.of("ceil_mode", ceil ? 1L : 0L), Attribute.of("kernel_shape", (long) k, (long) k),
                Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad), Attribute.of("strides", (long) stride, (long) stride));
    }

    public String add(String a, String c) { return b.op("Add", a, c); }

    public String globalAvgPool(String x) { return b.op("GlobalAveragePool", x); }

    /** {@code x.mean([2, 3])}: ReduceMean without keepdims. */
    public String meanHW(String x) { return b.op("ReduceMean", x, Attribute.of("axes", 2L, 3L), Attribute.of("keepdims", 0L)); }

    public String flatten(String x) { return b.op("Flatten", x, Attribute.of("axis", 1L)); }

    /** {@code x.view(x.size(0), -1)} as the exporter writes it with a dynamic batch. */
    public String viewBatchFlat(String x) {
        String batch = batchDim(x);
        String shape = b.op("Concat", new String[] {batch, b.init("minus_one", Tensor.vector(-1))}, Attribute.of("axis", 0L));
        return b.op("Reshape", x, shape);
    }

    /** Shape(x)[0] as a 1-element int64 vector: Shape → Gather(indices=0) → Unsqueeze(axes=[0]). */
    String batchDim(String x) {
        String s = b.op("Shape", x);
        String g = b.op("Gather", new String[] {s, b.init("idx0", Tensor.scalarLong(0))}, Attribute.of("axis", 0L));
        return b.op("Unsqueeze", new String[] {g, b.init("axes0", Tensor.vector(0))});
    }

    /** {@code nn.Linear}: Gemm with transB=1. */
    public String linear(String x, int in, int out) {
        String p = "fc" + (layer++);
        float[] w = new float[out * in];
        double bound = 1 / Math.sqrt(in);
        for (int i = 0; i < w.length; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) bias[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return b.op("Gemm", new String[] {x, b.init(p + ".weight", w, out, in), b.init(p + ".bias", bias, out)},
                Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
    }

    public String concat(int axis, String... xs) { return b.op("Concat", xs, Attribute.of("axis", (long) axis)); }

    /** {@code x.chunk(2, dim=1)} on a tensor of {@code c} channels. */
    public String[] chunk2(String x, int c) {
        String split = b.init("split", Tensor.vector(c / 2, c / 2));
        return b.opN("Split", 2, new String[] {x, split}, Attribute.of("axis", 1L));
    }

    /** ShuffleNet's channel shuffle: view(b, g, c/g, h, w) → transpose(1, 2) → view(b, -1, h, w). */
    public String channelShuffle(String x, int c, int h, int w, int groups) {
        String batch = batchDim(x);
        String s1 = b.op("Concat", new String[] {batch, b.init("shuf_dims", Tensor.vector(groups, c / groups, h, w))}, Attribute.of("axis", 0L));
        String r = b.op("Reshape", x, s1);
        String t = b.op("Transpose", r, Attribute.of("perm", 0L, 2L, 1L, 3L, 4L));
        String s2 = b.op("Concat", new String[] {batch, b.init("shuf_back", Tensor.vector(-1, h, w))}, Attribute.of("axis", 0L));
        return b.op("Reshape", t, s2);
    }

    public Model finish(String logits, int classes) {
        String out = b.rename(logits, "output");
        b.output(out, DType.FLOAT, -1, classes);
        Model m = b.build(OPSET);
        m.setProducerName("pytorch-style (nnzip models.zoo)");
        return m;
    }

    private double gaussian() {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(Math.max(u, 1e-300))) * Math.cos(2 * Math.PI * v);
    }
}
