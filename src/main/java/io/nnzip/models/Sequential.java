package io.nnzip.models;

import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Builds a feed-forward model as IR, layer by layer, in the spirit of {@code nn.Sequential}:
 * <pre>
 * Model m = new Sequential("cnn", 1, 28, 28, seed).conv(32, 3, 1, 1).batchNorm().relu().maxPool(2)
 *         .flatten().linear(256).relu().linear(10).build();
 * </pre>
 * Emits standard ONNX (opset 17) the way PyTorch's exporter does in training-export form: Conv with bias,
 * BatchNormalization with its running statistics, Flatten, Gemm with transB = 1 and (out, in) weights, Dropout
 * with a ratio input. Input "input" (N,C,H,W), output "logits". Weights are He-uniform from the seed (the last
 * layer LeCun-uniform), biases zero, so a model is a pure function of its recipe and seed.
 */
public final class Sequential {
    public static final long OPSET = 17;
    private final GraphBuilder b;
    private final SplittableRandom rnd;
    private String cur;
    /** Current activation shape without the batch dim: (C,H,W) or (F). */
    private int[] shape;
    private int layer;

    public Sequential(String name, int channels, int height, int width, long seed) {
        b = new GraphBuilder(name);
        rnd = new SplittableRandom(seed);
        cur = b.input("input", DType.FLOAT, -1, channels, height, width);
        shape = new int[] {channels, height, width};
    }

    private Sequential(GraphBuilder b, SplittableRandom rnd, String cur, int[] shape, int layer) {
        this.b = b;
        this.rnd = rnd;
        this.cur = cur;
        this.shape = shape;
        this.layer = layer;
    }

    public int[] shape() { return shape.clone(); }

    public Sequential conv(int out, int kernel, int stride, int pad) { return conv(out, kernel, stride, pad, 1, true); }

    /** Conv2d; {@code groups} = channels gives a depthwise convolution. */
    public Sequential conv(int out, int kernel, int stride, int pad, int groups, boolean bias) {
        need(3, "conv");
        int cin = shape[0];
        if (cin % groups != 0 || out % groups != 0) throw new NnzipException("conv: " + cin + "→" + out + " channels do not split into " + groups + " groups");
        String p = "conv" + (layer++);
        int fanIn = cin / groups * kernel * kernel;
        String w = b.init(p + ".weight", uniform(out * fanIn, Math.sqrt(6.0 / fanIn)), out, cin / groups, kernel, kernel);
        String[] ins = bias ? new String[] {cur, w, b.init(p + ".bias", new float[out], out)} : new String[] {cur, w};
        cur = b.op("Conv", ins, Attribute.of("dilations", 1L, 1L), Attribute.of("group", (long) groups),
                Attribute.of("kernel_shape", (long) kernel, (long) kernel), Attribute.of("pads", (long) pad, (long) pad, (long) pad, (long) pad),
                Attribute.of("strides", (long) stride, (long) stride));
        shape = new int[] {out, (shape[1] + 2 * pad - kernel) / stride + 1, (shape[2] + 2 * pad - kernel) / stride + 1};
        return this;
    }

    public Sequential depthwise(int kernel, int stride, int pad) { return conv(shape[0], kernel, stride, pad, shape[0], false); }

    public Sequential pointwise(int out) { return conv(out, 1, 1, 0, 1, false); }

    public Sequential batchNorm() {
        need(3, "batchNorm");
        int c = shape[0];
        String p = "bn" + (layer++);
        float[] ones = new float[c];
        java.util.Arrays.fill(ones, 1f);
        cur = b.op("BatchNormalization", new String[] {cur, b.init(p + ".weight", ones.clone(), c), b.init(p + ".bias", new float[c], c),
                b.init(p + ".running_mean", new float[c], c), b.init(p + ".running_var", ones, c)},
                Attribute.of("epsilon", 1e-5f), Attribute.of("momentum", 0.9f));
        return this;
    }

    public Sequential relu() {
        cur = b.op("Relu", cur);
        return this;
    }

    /** ReLU6 as Clip(x, 0, 6) with scalar inputs. */
    public Sequential relu6() {
        cur = b.op("Clip", new String[] {cur, b.init("clip_min", Tensor.scalar(0f)), b.init("clip_max", Tensor.scalar(6f))});
        return this;
    }

    public Sequential maxPool(int k) { return pool("MaxPool", k, k); }

    public Sequential avgPool(int k) { return pool("AveragePool", k, k); }

    private Sequential pool(String op, int k, int stride) {
        need(3, op);
        cur = b.op(op, cur, Attribute.of("kernel_shape", (long) k, (long) k), Attribute.of("strides", (long) stride, (long) stride),
                Attribute.of("pads", 0L, 0L, 0L, 0L));
        shape = new int[] {shape[0], (shape[1] - k) / stride + 1, (shape[2] - k) / stride + 1};
        return this;
    }

    public Sequential globalAvgPool() {
        need(3, "globalAvgPool");
        cur = b.op("GlobalAveragePool", cur);
        shape = new int[] {shape[0], 1, 1};
        return this;
    }

    public Sequential flatten() {
        cur = b.op("Flatten", cur, Attribute.of("axis", 1L));
        int f = 1;
        for (int d : shape) f *= d;
        shape = new int[] {f};
        return this;
    }

    /** Fully connected layer as Gemm(x, W^T) + b with W stored (out, in), as PyTorch exports nn.Linear. */
    public Sequential linear(int out) { return linear(out, Math.sqrt(6.0)); }

    private Sequential linear(int out, double gain) {
        if (shape.length != 1) flatten();
        int in = shape[0];
        String p = "fc" + (layer++);
        String w = b.init(p + ".weight", uniform(out * in, gain / Math.sqrt(in)), out, in);
        String bias = b.init(p + ".bias", new float[out], out);
        cur = b.op("Gemm", new String[] {cur, w, bias}, Attribute.of("alpha", 1f), Attribute.of("beta", 1f), Attribute.of("transB", 1L));
        shape = new int[] {out};
        return this;
    }

    public Sequential dropout(float ratio) {
        cur = b.op("Dropout", new String[] {cur, b.init("dropout_ratio", Tensor.scalar(ratio))});
        return this;
    }

    /**
     * A residual block: {@code body} transforms a branch; the shortcut is the identity, or a 1×1 conv + BN of the
     * given stride when the body changes the shape; the sum goes through ReLU.
     */
    public Sequential residual(int stride, UnaryOperator<Sequential> body) {
        need(3, "residual");
        String in = cur;
        int[] inShape = shape;
        Sequential branch = body.apply(new Sequential(b, rnd, cur, shape, layer));
        layer = branch.layer;
        String skip = in;
        if (!java.util.Arrays.equals(inShape, branch.shape)) {
            Sequential proj = new Sequential(b, rnd, in, inShape, layer).conv(branch.shape[0], 1, stride, 0, 1, false).batchNorm();
            layer = proj.layer;
            skip = proj.cur;
            if (!java.util.Arrays.equals(proj.shape, branch.shape)) throw new NnzipException("residual: shortcut shape does not match the block's output");
        }
        cur = b.op("Add", branch.cur, skip);
        shape = branch.shape;
        return relu();
    }

    /** Final classifier layer: LeCun-uniform weights (no ReLU follows). */
    public Sequential classifier(int classes) { return linear(classes, Math.sqrt(3.0)); }

    public Model build() {
        if (shape.length != 1) throw new NnzipException("the model must end in a vector (add flatten/linear), its output is " + java.util.Arrays.toString(shape));
        b.rename(cur, "logits");
        b.output("logits", DType.FLOAT, -1, shape[0]);
        return b.build(OPSET);
    }

    private void need(int rank, String what) {
        if (shape.length != rank) throw new NnzipException(what + " needs an image-shaped input, the current activation is " + java.util.Arrays.toString(shape));
    }

    private float[] uniform(int n, double bound) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return w;
    }
}
