package io.nnzip.distill;

import io.nnzip.data.Batch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.Graph;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * DAFL data-free learning (Chen et al., ICCV 2019): a generator G is trained against the frozen teacher T so that
 * T(G(z)) looks like T on real images — confident (one-hot loss: cross-entropy against its own arg-max), strongly
 * activated (activation loss: −mean |f| of the features before T's classifier) and spread over every class
 * (information-entropy loss: −H of the batch-mean prediction). Generator and teacher are one graph; only the
 * generator's initializers ({@code gen.*}) are trainable, so T's input gradient flows back into G through the shared
 * Trainer. The trained generator then synthesizes the images a student is distilled on (a fixed pool, where the paper
 * samples anew each step), labelled by the teacher's arg-max.
 * <pre>z: (N, nz, 1, 1) -> G: Gemm → (32,7,7) → BN → up×2 → Conv 16 → BN → LeakyReLU → up×2 → Conv C → Tanh → BN -> T</pre>
 */
public final class DataFree {
    public static final String NOISE = "dafl_z";
    public static final int NZ = 64;

    /** Loss weights of the paper's MNIST setting: one-hot 1, activation 0.1, information entropy 5. */
    public record Weights(float oneHot, float activation, float entropy) {
        public static final Weights PAPER = new Weights(1f, 0.1f, 5f);
    }

    /** The chained generator → teacher graph and the names the objective reads. */
    public record Chain(Model model, String image, String logits, String features) {}

    private DataFree() {}

    /** G(z) feeding {@code teacher}'s input; the teacher's value names are kept, the generator's are fresh. */
    public static Chain chain(Model teacher, long seed) {
        Graph t = teacher.graph();
        ValueInfo in = t.runtimeInputs().getFirst();
        int[] shape = in.concreteShape(1);
        if (shape == null || shape.length != 4) throw new NnzipException("--data-free needs a teacher with an image input (N,C,H,W), this one takes " + in.shapeString());
        int c = shape[1], h = shape[2], w = shape[3];
        if (h % 4 != 0 || w % 4 != 0) throw new NnzipException("--data-free: the generator makes images whose sides are multiples of 4, the teacher takes " + h + "×" + w);
        GraphBuilder b = new GraphBuilder("dafl");
        Graph g = b.graph();
        g.initializers().putAll(t.initializers());
        g.nodes().addAll(t.nodes().stream().map(Node::copy).toList());
        g.valueInfo().putAll(t.valueInfo());
        int teacherNodes = g.nodes().size();
        b.input(NOISE, DType.FLOAT, -1, NZ, 1, 1);
        SplittableRandom rnd = new SplittableRandom(seed);
        int c0 = 32, h0 = h / 4, w0 = w / 4;
        String x = b.op("Flatten", NOISE, Attribute.of("axis", 1L));
        x = b.op("Gemm", new String[] {x, b.init("gen.fc.weight", uniform(rnd, c0 * h0 * w0 * NZ, NZ), c0 * h0 * w0, NZ), b.init("gen.fc.bias", new float[c0 * h0 * w0], c0 * h0 * w0)},
                Attribute.of("transB", 1L));
        x = b.op("Reshape", x, b.init("gen.shape0", Tensor.ofLongs(new long[] {-1, c0, h0, w0}, 4)));
        x = batchNorm(b, x, c0, "gen.bn0", true);
        x = upsample2(b, x, c0, h0, w0);
        x = conv(b, rnd, x, c0, 16, "gen.conv1");
        x = batchNorm(b, x, 16, "gen.bn1", true);
        x = b.op("LeakyRelu", x, Attribute.of("alpha", 0.2f));
        x = upsample2(b, x, 16, 2 * h0, 2 * w0);
        x = conv(b, rnd, x, 16, c, "gen.conv2");
        x = b.op("Tanh", x);
        // the paper's final BatchNorm without affine parameters: images arrive standardized, as normalized inputs are
        x = batchNorm(b, x, c, "fixed.bn_out", false);
        b.rename(x, in.name());
        List<Node> nodes = new ArrayList<>(g.nodes().subList(teacherNodes, g.nodes().size()));
        nodes.addAll(g.nodes().subList(0, teacherNodes));
        g.nodes().clear();
        g.nodes().addAll(nodes);
        g.outputs().addAll(t.outputs());
        Model m = b.build(Math.max(teacher.opset(), 13));
        return new Chain(m, in.name(), t.outputNames().getFirst(), features(t));
    }

    /** The input of the teacher's last Gemm/MatMul: the features its classifier reads. */
    static String features(Graph t) {
        for (Node n : t.nodes().reversed()) if (n.opType().equals("Gemm") || n.opType().equals("MatMul")) return n.input(0);
        throw new NnzipException("--data-free: the teacher has no final Gemm/MatMul classifier whose features the activation loss could read");
    }

    /** Trains the generator of {@code chain} (teacher frozen) on {@code steps} batches; the trained chain is returned. */
    public static Model trainGenerator(Chain chain, Weights wts, int epochs, int batchesPerEpoch, int batchSize, float lr, long seed, TrainListener listener) {
        Trainer.Options opt = new Trainer.Options().epochs(epochs).batchSize(batchSize).lr(lr).seed(seed).trainable("^gen\\.", null)
                .objective(objective(chain, wts), List.of(chain.logits(), chain.features()));
        try (Trainer t = new Trainer(chain.model(), opt)) {
            t.fit(noise(batchesPerEpoch * batchSize, seed), null, Normalization.NONE, listener);
            return t.model().copy();
        }
    }

    /** L = w_oh·CE(z, argmax z) − w_a·mean|f| + w_ie·Σ_j p̄_j log p̄_j, p̄ the batch-mean softmax. */
    static MultiObjective objective(Chain chain, Weights wts) {
        return (Batch b, Map<String, Tensor> outs, Map<String, float[]> grads) -> {
            int n = b.size();
            float[] z = outs.get(chain.logits()).floats(), gz = grads.get(chain.logits());
            int k = z.length / n;
            double[] p = new double[n * k], mean = new double[k];
            double oh = 0;
            for (int i = 0; i < n; i++) {
                int o = i * k, arg = 0;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < k; j++) if (z[o + j] > max) { max = z[o + j]; arg = j; }
                for (int j = 0; j < k; j++) sum += p[o + j] = Math.exp(z[o + j] - max);
                for (int j = 0; j < k; j++) {
                    p[o + j] /= sum;
                    mean[j] += p[o + j] / n;
                }
                oh -= Math.log(Math.max(p[o + arg], 1e-30)) / n;
                for (int j = 0; j < k; j++) gz[o + j] = (float) (wts.oneHot() * (p[o + j] - (j == arg ? 1 : 0)) / n);
            }
            // d(Σ p̄ log p̄)/dz_ik = (1/N) p_ik (g_k − Σ_j p_ij g_j), g = log p̄ + 1
            double negH = 0;
            double[] gl = new double[k];
            for (int j = 0; j < k; j++) {
                double pm = Math.max(mean[j], 1e-30);
                negH += pm * Math.log(pm);
                gl[j] = Math.log(pm) + 1;
            }
            for (int i = 0; i < n; i++) {
                int o = i * k;
                double dot = 0;
                for (int j = 0; j < k; j++) dot += p[o + j] * gl[j];
                for (int j = 0; j < k; j++) gz[o + j] += (float) (wts.entropy() * p[o + j] * (gl[j] - dot) / n);
            }
            float[] f = outs.get(chain.features()).floats(), gf = grads.get(chain.features());
            double act = 0;
            for (int i = 0; i < f.length; i++) {
                act += Math.abs(f[i]) / f.length;
                gf[i] = -wts.activation() * Math.signum(f[i]) / f.length;
            }
            return (float) (wts.oneHot() * oh - wts.activation() * act + wts.entropy() * negH);
        };
    }

    /**
     * {@code count} images from the trained generator (run as in training: batch statistics), labelled by the
     * teacher's arg-max; stored as raw pixels under {@code norm} so that the data loader's normalization gives back
     * exactly what the teacher saw.
     */
    public static Dataset synthesize(Chain trained, int count, int batchSize, Normalization norm, long seed, int threads) {
        Model m = trained.model();
        int[] shape = null;
        float[] pixels = null;
        int[] labels = new int[count];
        int k = 0;
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(m.graph(), m.opset(), par, seed);
            Dataset z = noise(count, seed ^ 0x5DEECE66DL);
            for (int s = 0; s < count; s += batchSize) {
                int n = Math.min(batchSize, count - s);
                float[] zb = java.util.Arrays.copyOfRange(z.pixels(), s * NZ, (s + n) * NZ);
                tape.forward(Map.of(NOISE, Tensor.of(zb, n, NZ, 1, 1)), true);
                Tensor img = tape.value(trained.image());
                float[] logits = tape.value(trained.logits()).floats();
                if (pixels == null) {
                    shape = img.shape();
                    pixels = new float[count * (img.size() / n)];
                }
                float[] x = img.floats();
                int per = x.length / n, hw = shape[2] * shape[3];
                for (int i = 0; i < x.length; i++) {
                    int ch = (i / hw) % shape[1];
                    pixels[s * per + i] = x[i] * norm.std()[norm.std().length == 1 ? 0 : ch] + norm.mean()[norm.mean().length == 1 ? 0 : ch];
                }
                k = logits.length / n;
                for (int i = 0; i < n; i++) {
                    int arg = 0;
                    for (int j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + arg]) arg = j;
                    labels[s + i] = arg;
                }
            }
        }
        return new Dataset("dafl-synthetic", pixels, labels, shape[1], shape[2], shape[3], k);
    }

    /**
     * Calibration images for post-training quantization without data: a generator trained against {@code model}
     * itself ({@code epochs} × 32 batches of 64), then {@code count} of its images, raw pixels under {@code norm}.
     */
    public static Dataset calibrationImages(Model model, Normalization norm, int count, int epochs, long seed, int threads) {
        Chain c = chain(model, seed);
        Model g = trainGenerator(c, Weights.PAPER, epochs, 32, 64, 3e-3f, seed, new TrainListener() {});
        return synthesize(new Chain(g, c.image(), c.logits(), c.features()), count, 256, norm, seed, threads);
    }

    /** Standard-normal noise vectors as a dataset of (NZ,1,1) "images" (labels unused). */
    static Dataset noise(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[count * NZ];
        for (int i = 0; i < z.length; i++) z[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        return new Dataset("noise", z, new int[count], NZ, 1, 1, 1);
    }

    private static String batchNorm(GraphBuilder b, String x, int c, String p, boolean affine) {
        float[] ones = new float[c];
        java.util.Arrays.fill(ones, 1f);
        return b.op("BatchNormalization", new String[] {x, b.init(p + (affine ? ".weight" : ".scale"), ones.clone(), c), b.init(p + ".bias", new float[c], c),
                b.init(p + ".running_mean", new float[c], c), b.init(p + ".running_var", ones, c)}, Attribute.of("epsilon", 1e-5f), Attribute.of("momentum", 0.9f));
    }

    private static String conv(GraphBuilder b, SplittableRandom rnd, String x, int cin, int cout, String p) {
        String w = b.init(p + ".weight", uniform(rnd, cout * cin * 9, cin * 9), cout, cin, 3, 3);
        return b.op("Conv", new String[] {x, w, b.init(p + ".bias", new float[cout], cout)}, Attribute.of("kernel_shape", 3L, 3L),
                Attribute.of("pads", 1L, 1L, 1L, 1L));
    }

    /** Nearest ×2 upsampling from ops the autodiff knows: (N,C,H,W) → (N,C,H,1,W,1) → Expand ×2 → (N,C,2H,2W). */
    private static String upsample2(GraphBuilder b, String x, int c, int h, int w) {
        String y = b.op("Reshape", x, b.init("gen.up_in", Tensor.ofLongs(new long[] {-1, c, h, 1, w, 1}, 6)));
        y = b.op("Expand", y, b.init("gen.up_by", Tensor.ofLongs(new long[] {1, 1, 1, 2, 1, 2}, 6)));
        return b.op("Reshape", y, b.init("gen.up_out", Tensor.ofLongs(new long[] {-1, c, 2 * h, 2 * w}, 4)));
    }

    private static float[] uniform(SplittableRandom r, int n, int fanIn) {
        float[] v = new float[n];
        double a = Math.sqrt(6.0 / fanIn);
        for (int i = 0; i < n; i++) v[i] = (float) ((2 * r.nextDouble() - 1) * a);
        return v;
    }
}
