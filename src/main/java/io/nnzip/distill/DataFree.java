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
 * Trainer. Inside the chain the teacher runs as at inference: each BatchNormalization becomes the per-channel affine
 * map of its running statistics (Mul, Add) and Dropout the identity, so the training tape neither normalizes the
 * teacher with batch statistics nor moves its running averages. With a BatchNormalization-statistics weight the
 * generator is also pulled toward images whose batch mean and variance at the input of every teacher BatchNormalization
 * equal that layer's running statistics (DeepInversion's feature-distribution loss, Yin et al., CVPR 2020). The
 * trained generator then synthesizes the images a student is distilled on, labelled by the teacher's arg-max.
 * <pre>z: (N, nz, 1, 1) -> G: Gemm → (32,7,7) → BN → up×2 → Conv 16 → BN → LeakyReLU → up×2 → Conv C → Tanh → BN -> T</pre>
 */
public final class DataFree {
    public static final String NOISE = "dafl_z";
    public static final int NZ = 64;

    /**
     * Loss weights: one-hot, activation, information entropy, and BatchNormalization statistics. With {@code classes}
     * &gt; 0 the generator is class-conditional and class-balanced: noise vector i carries the one-hot code of an
     * assigned class y_i = i mod classes in its first {@code classes} entries (see {@link #noise(int, long, int)}), and the
     * one-hot loss is the cross-entropy against y_i instead of against the teacher's own arg-max, so every batch asks the
     * teacher for every class in equal numbers.
     */
    public record Weights(float oneHot, float activation, float entropy, float bnStats, int classes) {
        /** DAFL's MNIST setting: one-hot 1, activation 0.1, information entropy 5; no statistics term. */
        public static final Weights PAPER = new Weights(1f, 0.1f, 5f, 0f, 0);

        public Weights(float oneHot, float activation, float entropy) { this(oneHot, activation, entropy, 0f, 0); }

        public Weights(float oneHot, float activation, float entropy, float bnStats) { this(oneHot, activation, entropy, bnStats, 0); }

        public Weights withBnStats(float w) { return new Weights(oneHot, activation, entropy, w, classes); }

        /** Class-conditional, class-balanced generation over {@code k} classes (0 = off, DAFL's arg-max target). */
        public Weights withClasses(int k) { return new Weights(oneHot, activation, entropy, bnStats, k); }
    }

    /** Size of the class code written into a conditional generator's noise (the other entries stay N(0, 1)). */
    static final float CODE = 3f;

    /** A teacher BatchNormalization: the value it normalizes and its running mean and variance per channel. */
    public record BnStat(String value, float[] mean, float[] var) {}

    /** The chained generator → teacher graph, the names the objective reads and the teacher's BatchNormalization statistics. */
    public record Chain(Model model, String image, String logits, String features, List<BnStat> bnStats) {
        public Chain(Model model, String image, String logits, String features) { this(model, image, logits, features, List.of()); }

        public Chain withModel(Model m) { return new Chain(m, image, logits, features, bnStats); }

        /** The values the objective reads: logits, features, then each statistics layer's input when it is weighted. */
        List<String> values(Weights w) {
            List<String> v = new ArrayList<>(List.of(logits, features));
            if (w.bnStats() > 0) for (BnStat b : bnStats) v.add(b.value());
            return v;
        }
    }

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
        List<BnStat> stats = new ArrayList<>();
        Map<String, io.nnzip.engine.ValueType> types = io.nnzip.engine.ShapeInference.infer(teacher);
        for (Node n : t.nodes()) g.nodes().addAll(frozen(n, t, g, types, stats));
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
        return new Chain(m, in.name(), t.outputNames().getFirst(), features(t), List.copyOf(stats));
    }

    /**
     * A teacher node as it runs inside the chain: a BatchNormalization with initializer parameters becomes
     * y = x·a + b with a = γ/√(σ²+ε), b = β − μ·a (its statistics recorded in {@code stats}), a Dropout the identity.
     */
    private static List<Node> frozen(Node n, Graph t, Graph g, Map<String, io.nnzip.engine.ValueType> types, List<BnStat> stats) {
        if (n.opType().equals("Dropout")) return List.of(new Node(n.name() + "_frozen", "Identity", List.of(n.input(0)), List.of(n.output(0))));
        if (!n.opType().equals("BatchNormalization") || n.inputs().size() < 5) return List.of(n.copy());
        Tensor[] p = new Tensor[5];
        for (int i = 1; i < 5; i++) {
            p[i] = t.initializer(n.input(i));
            if (p[i] == null) return List.of(n.copy());
        }
        float[] gamma = p[1].floats(), beta = p[2].floats(), mean = p[3].floats(), var = p[4].floats();
        int c = gamma.length;
        float eps = n.attrFloat("epsilon", 1e-5f);
        float[] a = new float[c], b = new float[c];
        for (int j = 0; j < c; j++) {
            a[j] = (float) (gamma[j] / Math.sqrt(var[j] + eps));
            b[j] = beta[j] - mean[j] * a[j];
        }
        io.nnzip.engine.ValueType vt = types.get(n.input(0));
        int rank = vt == null || vt.shape() == null ? 4 : vt.shape().length;
        int[] shape = new int[Math.max(1, rank - 1)];
        java.util.Arrays.fill(shape, 1);
        shape[0] = c;
        String base = "frozen." + (n.name().isEmpty() ? n.output(0) : n.name());
        g.initializers().put(base + ".a", Tensor.of(a, shape));
        g.initializers().put(base + ".b", Tensor.of(b, shape));
        String mid = base + ".scaled";
        stats.add(new BnStat(n.input(0), mean.clone(), var.clone()));
        return List.of(new Node(base + "_mul", "Mul", List.of(n.input(0), base + ".a"), List.of(mid)),
                new Node(base + "_add", "Add", List.of(mid, base + ".b"), List.of(n.output(0))));
    }
    /** The input of the teacher's last Gemm/MatMul: the features its classifier reads. */
    static String features(Graph t) {
        for (Node n : t.nodes().reversed()) if (n.opType().equals("Gemm") || n.opType().equals("MatMul")) return n.input(0);
        throw new NnzipException("--data-free: the teacher has no final Gemm/MatMul classifier whose features the activation loss could read");
    }

    /** Trains the generator of {@code chain} (teacher frozen) on {@code steps} batches; the trained chain is returned. */
    public static Model trainGenerator(Chain chain, Weights wts, int epochs, int batchesPerEpoch, int batchSize, float lr, long seed, TrainListener listener) {
        Trainer.Options opt = new Trainer.Options().epochs(epochs).batchSize(batchSize).lr(lr).seed(seed).trainable("^gen\\.", null)
                .objective(objective(chain, wts), chain.values(wts));
        try (Trainer t = new Trainer(chain.model(), opt)) {
            t.fit(noise(batchesPerEpoch * batchSize, seed, wts.classes()), null, Normalization.NONE, listener);
            return t.model().copy();
        }
    }

    /**
     * L = w_oh·CE(z, t) − w_a·mean|f| + w_ie·Σ_j p̄_j log p̄_j, p̄ the batch-mean softmax; t = argmax z, or the batch's
     * assigned labels when the weights are class-conditional.
     */
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
                if (wts.classes() > 0) arg = b.labels()[i];
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
            double bn = wts.bnStats() > 0 ? bnStatsLoss(chain.bnStats(), outs, grads, wts.bnStats()) : 0;
            return (float) (wts.oneHot() * oh - wts.activation() * act + wts.entropy() * negH + bn);
        };
    }

    /**
     * w·Σ_l (‖m_l − μ_l‖₂ + ‖v_l − σ²_l‖₂), m_l and v_l the per-channel batch mean and (biased) variance of layer l's
     * input over the batch and spatial positions; gradients written into {@code grads}. With P = N·(positions):
     * dm_c/dx = 1/P, dv_c/dx = 2(x − m_c)/P.
     */
    static double bnStatsLoss(List<BnStat> stats, Map<String, Tensor> outs, Map<String, float[]> grads, float w) {
        double total = 0;
        for (BnStat st : stats) {
            Tensor xt = outs.get(st.value());
            float[] x = xt.floats(), gx = grads.get(st.value());
            int[] sh = xt.shape();
            int n = sh[0], c = sh[1], l = io.nnzip.ir.Shapes.product(sh, 2, sh.length);
            double count = (double) n * l;
            double[] m = new double[c], v = new double[c];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++) {
                    int o = (i * c + j) * l;
                    for (int q = 0; q < l; q++) m[j] += x[o + q];
                }
            for (int j = 0; j < c; j++) m[j] /= count;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++) {
                    int o = (i * c + j) * l;
                    for (int q = 0; q < l; q++) {
                        double d = x[o + q] - m[j];
                        v[j] += d * d;
                    }
                }
            double dm = 0, dv = 0;
            for (int j = 0; j < c; j++) {
                v[j] /= count;
                dm += (m[j] - st.mean()[j]) * (m[j] - st.mean()[j]);
                dv += (v[j] - st.var()[j]) * (v[j] - st.var()[j]);
            }
            dm = Math.sqrt(dm);
            dv = Math.sqrt(dv);
            total += w * (dm + dv);
            double[] km = new double[c], kv = new double[c];
            for (int j = 0; j < c; j++) {
                km[j] = dm > 1e-12 ? w * (m[j] - st.mean()[j]) / dm / count : 0;
                kv[j] = dv > 1e-12 ? w * (v[j] - st.var()[j]) / dv * 2 / count : 0;
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++) {
                    int o = (i * c + j) * l;
                    for (int q = 0; q < l; q++) gx[o + q] += (float) (km[j] + kv[j] * (x[o + q] - m[j]));
                }
        }
        return total;
    }

    /**
     * {@code count} images from the trained generator (run as in training: batch statistics), labelled by the
     * teacher's arg-max; stored as raw pixels under {@code norm} so that the data loader's normalization gives back
     * exactly what the teacher saw.
     */
    public static Dataset synthesize(Chain trained, int count, int batchSize, Normalization norm, long seed, int threads) {
        return synthesize(trained, count, batchSize, norm, seed, threads, 0);
    }

    /** As above; a class-conditional generator ({@code classes} &gt; 0) is asked for every class in equal numbers. */
    public static Dataset synthesize(Chain trained, int count, int batchSize, Normalization norm, long seed, int threads, int classes) {
        Model m = trained.model();
        int[] shape = null;
        float[] pixels = null;
        int[] labels = new int[count];
        int k = 0;
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(m.graph(), m.opset(), par, seed);
            Dataset z = noise(count, seed ^ 0x5DEECE66DL, classes);
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
        return calibrationImages(model, Weights.PAPER, norm, count, epochs, seed, threads);
    }

    /**
     * Calibration images without data that match the model's BatchNormalization statistics: a generator trained on
     * the statistics loss alone (weight 1; the DAFL terms off), then {@code count} of its images.
     */
    public static Dataset bnStatsImages(Model model, Normalization norm, int count, int epochs, long seed, int threads) {
        requireBatchNorm(model);
        return calibrationImages(model, new Weights(0f, 0f, 0f, 1f), norm, count, epochs, seed, threads);
    }

    /** Refuses a model without BatchNormalization before any generator work starts. */
    public static void requireBatchNorm(Model model) {
        if (model.graph().nodes().stream().noneMatch(n -> n.opType().equals("BatchNormalization")))
            throw new NnzipException("--calib-data bn-stats: the model has no BatchNormalization with running statistics to match (try --calib-data synthetic)");
    }

    private static Dataset calibrationImages(Model model, Weights w, Normalization norm, int count, int epochs, long seed, int threads) {
        Chain c = chain(model, seed);
        Model g = trainGenerator(c, w, epochs, 32, 64, 3e-3f, seed, new TrainListener() {});
        return synthesize(c.withModel(g), count, 256, norm, seed, threads);
    }

    /** Standard-normal noise vectors as a dataset of (NZ,1,1) "images" (labels unused). */
    static Dataset noise(int count, long seed) { return noise(count, seed, 0); }

    /**
     * Standard-normal noise vectors as a dataset of (NZ,1,1) "images"; with {@code classes} &gt; 0 vector i is labelled
     * y_i = i mod classes and its first {@code classes} entries are replaced by {@link #CODE}·onehot(y_i).
     */
    static Dataset noise(int count, long seed, int classes) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[count * NZ];
        for (int i = 0; i < z.length; i++) z[i] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        int[] labels = new int[count];
        if (classes > 0) for (int i = 0; i < count; i++) labels[i] = label(z, i, i % classes, classes);
        return new Dataset("noise", z, labels, NZ, 1, 1, Math.max(1, classes));
    }

    /** Writes class {@code y}'s code into noise vector {@code i} of {@code z}; returns {@code y}. */
    static int label(float[] z, int i, int y, int classes) {
        if (classes > NZ) throw new NnzipException("--class-balanced: the generator's noise has " + NZ + " entries, the teacher has " + classes + " classes");
        for (int j = 0; j < classes; j++) z[i * NZ + j] = j == y ? CODE : 0f;
        return y;
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
