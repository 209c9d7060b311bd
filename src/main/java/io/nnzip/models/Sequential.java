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

    /** MobileNet's block: 3×3 depthwise conv (stride) + BN + ReLU, then 1×1 pointwise conv to {@code out} channels + BN + ReLU. */
    public Sequential mobileNetBlock(int out, int stride) {
        return depthwise(3, stride, 1).batchNorm().relu().pointwise(out).batchNorm().relu();
    }

    /**
     * ShuffleNet's channel shuffle as the standard ops PyTorch exports: Reshape (N, groups, C/groups, H·W) →
     * Transpose (0, 2, 1, 3) → Reshape (N, C, H, W); output channel j·groups + i is input channel i·C/groups + j.
     */
    public Sequential channelShuffle(int groups) {
        need(3, "channelShuffle");
        int c = shape[0];
        if (groups < 1 || c % groups != 0) throw new NnzipException("channelShuffle: " + c + " channels do not split into " + groups + " groups");
        String p = "shuffle" + (layer++);
        String split = b.op("Reshape", cur, b.init(p + ".split_shape", Tensor.vector(0, groups, c / groups, -1)));
        String t = b.op("Transpose", split, Attribute.of("perm", 0L, 2L, 1L, 3L));
        cur = b.op("Reshape", t, b.init(p + ".merge_shape", Tensor.vector(0, c, shape[1], shape[2])));
        return this;
    }

    /**
     * ShuffleNet unit (Zhang et al. 2018): 1×1 conv in {@code groups} groups to out/4 channels (rounded up to a
     * multiple of groups) + BN + ReLU → channel shuffle → 3×3 depthwise conv (stride) + BN → 1×1 conv in groups + BN;
     * at stride 1 added to the input (out = input channels), at stride 2 concatenated with the input's 3×3 average
     * pool (out includes the input channels); then ReLU.
     */
    public Sequential shuffleUnit(int out, int groups, int stride) {
        need(3, "shuffleUnit");
        int cin = shape[0];
        int branchOut = stride == 1 ? out : out - cin;
        if (stride != 1 && stride != 2) throw new NnzipException("shuffleUnit: stride must be 1 or 2, got " + stride);
        if (stride == 1 && out != cin) throw new NnzipException("shuffleUnit: at stride 1 the unit adds its input, so out must be " + cin + ", got " + out);
        if (branchOut < 1 || branchOut % groups != 0)
            throw new NnzipException("shuffleUnit: the branch's " + branchOut + " output channels do not split into " + groups + " groups");
        int mid = (Math.max(1, out / 4) + groups - 1) / groups * groups;
        String in = cur;
        int[] inShape = shape;
        Sequential branch = new Sequential(b, rnd, cur, shape, layer).conv(mid, 1, 1, 0, groups, false).batchNorm().relu().channelShuffle(groups)
                .conv(mid, 3, stride, 1, mid, false).batchNorm().conv(branchOut, 1, 1, 0, groups, false).batchNorm();
        layer = branch.layer;
        if (stride == 1) {
            cur = b.op("Add", branch.cur, in);
        } else {
            String pooled = b.op("AveragePool", in, Attribute.of("kernel_shape", 3L, 3L), Attribute.of("strides", 2L, 2L), Attribute.of("pads", 1L, 1L, 1L, 1L));
            cur = b.op("Concat", new String[] {branch.cur, pooled}, Attribute.of("axis", 1L));
            if (branch.shape[1] != (inShape[1] - 1) / 2 + 1 || branch.shape[2] != (inShape[2] - 1) / 2 + 1)
                throw new NnzipException("shuffleUnit: branch and pooled shortcut sizes differ");
        }
        shape = new int[] {out, branch.shape[1], branch.shape[2]};
        return relu();
    }

    /**
     * SqueezeNet's fire module (Iandola et al. 2016): 1×1 squeeze conv + ReLU, then a 1×1 and a 3×3 (pad 1) expand
     * conv, each + ReLU, concatenated along channels (expand1 first): expand1 + expand3 output channels.
     */
    public Sequential fire(int squeeze, int expand1, int expand3) {
        need(3, "fire");
        conv(squeeze, 1, 1, 0).relu();
        String s = cur;
        int[] sShape = shape;
        Sequential e1 = new Sequential(b, rnd, s, sShape, layer).conv(expand1, 1, 1, 0).relu();
        Sequential e3 = new Sequential(b, rnd, s, sShape, e1.layer).conv(expand3, 3, 1, 1).relu();
        layer = e3.layer;
        cur = b.op("Concat", new String[] {e1.cur, e3.cur}, Attribute.of("axis", 1L));
        shape = new int[] {expand1 + expand3, sShape[1], sShape[2]};
        return this;
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

    private float[] uniform(int n, double bound) { return uniform(rnd, n, bound); }

    /** n draws uniform in (-bound, bound); {@link Reinit} uses the same stream layout. */
    static float[] uniform(SplittableRandom rnd, int n, double bound) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        return w;
    }
}
