package io.nnzip.search;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.Attribute;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.train.MultiObjective;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small image generator nnzip trains with its own engine: the decoder of an autoencoder (a deterministic
 * autoencoder trained on the pixel MSE) whose latent codes are then modelled by one Gaussian fitted to the codes of the
 * training images (the ex-post density of Ghosh et al., "From variational to deterministic autoencoders", ICLR 2020).
 * The Gaussian is folded into the decoder's first Gemm (W' = W·L, b' = W·μ + b, L the Cholesky factor of the codes'
 * covariance), so the written generator takes standard-normal noise {@code z} (N, {@value #NZ}) and gives images in
 * [0, 1] (N, 1, 28, 28) — stable to train in minutes, unlike a GAN, and the same kind of graph as one:
 * <pre>z → Gemm → (32,7,7) → ReLU → Conv 32 → ReLU → up×2 → Conv 32 → ReLU → up×2 → Conv 16 → ReLU → Conv 1 → Sigmoid</pre>
 * Nearest ×2 upsampling is Reshape → Expand → Reshape (ops the autodiff and the channel-dependency pruner both know), with
 * 0 for the channel entry of each shape so that a pruned graph needs no shape edit.
 */
public final class GeneratorNet {
    public static final String NOISE = "z", IMAGE = "image";
    public static final int NZ = 16;
    static final String CODE = "code";

    private GeneratorNet() {}

    /** The untrained generator (random weights from {@code seed}); input {@value #NOISE}, output {@value #IMAGE}. */
    public static Model generator(long seed) {
        GraphBuilder b = new GraphBuilder("generator");
        b.input(NOISE, DType.FLOAT, -1, NZ);
        b.rename(decoder(b, NOISE, new SplittableRandom(seed)), IMAGE);
        b.output(IMAGE, DType.FLOAT, -1, 1, 28, 28);
        return b.build(13);
    }

    /** The autoencoder the generator is trained in: image → encoder → {@value #CODE} → the generator's decoder. */
    static Model autoencoder(long seed) {
        GraphBuilder b = new GraphBuilder("autoencoder");
        SplittableRandom rnd = new SplittableRandom(seed ^ 0xA5A5L);
        String x = b.input("input", DType.FLOAT, -1, 1, 28, 28);
        x = conv(b, rnd, x, 1, 16, "enc.conv1", 2);
        x = b.op("Relu", x);
        x = conv(b, rnd, x, 16, 32, "enc.conv2", 2);
        x = b.op("Relu", x);
        x = b.op("Flatten", x, Attribute.of("axis", 1L));
        x = b.op("Gemm", new String[] {x, b.init("enc.fc.weight", uniform(rnd, NZ * 32 * 49, 32 * 49), NZ, 32 * 49), b.init("enc.fc.bias", new float[NZ], NZ)},
                Attribute.of("transB", 1L));
        b.rename(x, CODE);
        b.rename(decoder(b, CODE, new SplittableRandom(seed)), IMAGE);
        b.output(IMAGE, DType.FLOAT, -1, 1, 28, 28);
        return b.build(13);
    }

    private static String decoder(GraphBuilder b, String z, SplittableRandom rnd) {
        String x = b.op("Gemm", new String[] {z, b.init("gen.fc.weight", uniform(rnd, 32 * 49 * NZ, NZ), 32 * 49, NZ), b.init("gen.fc.bias", new float[32 * 49], 32 * 49)},
                Attribute.of("transB", 1L));
        x = b.op("Reshape", x, b.init("gen.shape0", Tensor.ofLongs(new long[] {-1, 32, 7, 7}, 4)));
        x = b.op("Relu", x);
        x = b.op("Relu", conv(b, rnd, x, 32, 32, "gen.conv1", 1));
        x = upsample2(b, x, 7);
        x = b.op("Relu", conv(b, rnd, x, 32, 32, "gen.conv2", 1));
        x = upsample2(b, x, 14);
        x = b.op("Relu", conv(b, rnd, x, 32, 16, "gen.conv3", 1));
        return b.op("Sigmoid", conv(b, rnd, x, 16, 1, "gen.conv4", 1));
    }

    /**
     * Trains the autoencoder ({@code epochs} over {@code train}, Adam, batch 64, pixel MSE on raw [0, 1] pixels), fits
     * the Gaussian to the codes of the training images and returns the generator with it folded in.
     */
    public static Model train(Dataset train, int epochs, float lr, long seed, int threads, TrainListener listener) {
        Model ae = autoencoder(seed);
        Trainer.Options o = new Trainer.Options().epochs(epochs).batchSize(64).lr(lr).schedule("cosine").seed(seed).threads(threads)
                .objective(mse(), List.of(IMAGE));
        Model trained;
        try (Trainer t = new Trainer(ae, o)) {
            t.fit(train, null, Normalization.NONE, listener);
            trained = t.model().copy();
        }
        return fold(trained, codes(trained, train, threads), seed);
    }

    /** Mean squared error between the reconstruction and the batch's own images, per pixel. */
    private static MultiObjective mse() {
        return (batch, outs, grads) -> {
            float[] y = outs.get(IMAGE).floats(), x = batch.images().floats(), g = grads.get(IMAGE);
            double loss = 0;
            for (int i = 0; i < y.length; i++) {
                double d = y[i] - x[i];
                loss += d * d;
                g[i] = (float) (2 * d / y.length);
            }
            return (float) (loss / y.length);
        };
    }

    /** The latent codes of every image of {@code data} (rows of {@value #NZ}). */
    static double[][] codes(Model ae, Dataset data, int threads) {
        double[][] out = new double[data.size()][];
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(ae.graph(), ae.opset(), par, 0);
            int per = data.imageSize();
            for (int s = 0; s < data.size(); s += 256) {
                int n = Math.min(256, data.size() - s);
                float[] px = java.util.Arrays.copyOfRange(data.pixels(), s * per, (s + n) * per);
                tape.forward(Map.of("input", Tensor.of(px, n, 1, 28, 28)), false);
                float[] c = tape.value(CODE).floats();
                for (int i = 0; i < n; i++) {
                    out[s + i] = new double[NZ];
                    for (int j = 0; j < NZ; j++) out[s + i][j] = c[i * NZ + j];
                }
            }
        }
        return out;
    }

    /** The generator with the trained decoder's weights and the codes' Gaussian folded into its first Gemm. */
    static Model fold(Model ae, double[][] codes, long seed) {
        int d = NZ;
        double[] mu = new double[d];
        for (double[] c : codes) for (int j = 0; j < d; j++) mu[j] += c[j] / codes.length;
        double[][] cov = new double[d][d];
        for (double[] c : codes)
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) cov[i][j] += (c[i] - mu[i]) * (c[j] - mu[j]) / Math.max(1, codes.length - 1);
        double[][] l = cholesky(cov);
        Model g = generator(seed);
        for (String name : g.graph().initializers().keySet().stream().filter(n -> n.startsWith("gen.")).toList())
            g.graph().initializers().put(name, ae.graph().initializer(name));
        float[] w = ae.graph().initializer("gen.fc.weight").floats(), bias = ae.graph().initializer("gen.fc.bias").floats();
        int out = bias.length;
        float[] w2 = new float[out * d], b2 = new float[out];
        for (int o = 0; o < out; o++) {
            double acc = bias[o];
            for (int k = 0; k < d; k++) acc += w[o * d + k] * mu[k];
            b2[o] = (float) acc;
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = j; k < d; k++) s += w[o * d + k] * l[k][j];
                w2[o * d + j] = (float) s;
            }
        }
        g.graph().initializers().put("gen.fc.weight", Tensor.of(w2, out, d));
        g.graph().initializers().put("gen.fc.bias", Tensor.of(b2, out));
        return g;
    }

    /** Lower-triangular L with L·Lᵀ = a (a tiny ridge keeps a degenerate covariance factorable). */
    static double[][] cholesky(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = a[i][j] + (i == j ? 1e-9 : 0);
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = i == j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j][j];
            }
        return l;
    }

    /** Standard-normal noise vectors as a dataset of ({@value #NZ},1,1) "images" (labels unused). */
    public static Dataset noise(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[count * NZ];
        for (int i = 0; i < z.length; i++) z[i] = (float) Encoding.gaussian(r);
        return new Dataset("noise", z, new int[count], NZ, 1, 1, 1);
    }

    /** The generator's images for {@code z} (rows of {@value #NZ}), in batches of 256. */
    public static float[] generate(Model gen, float[] z, int threads) {
        int n = z.length / NZ;
        float[] out = new float[n * 28 * 28];
        try (Parallel par = new Parallel(threads)) {
            Tape tape = new Tape(gen.graph(), gen.opset(), par, 0);
            for (int s = 0; s < n; s += 256) {
                int k = Math.min(256, n - s);
                float[] zb = java.util.Arrays.copyOfRange(z, s * NZ, (s + k) * NZ);
                float[] img = tape.forward(Map.of(NOISE, Tensor.of(zb, k, NZ)), false).get(IMAGE).floats();
                System.arraycopy(img, 0, out, s * 784, k * 784);
            }
        }
        return out;
    }

    private static String conv(GraphBuilder b, SplittableRandom rnd, String x, int cin, int cout, String p, int stride) {
        String w = b.init(p + ".weight", uniform(rnd, cout * cin * 9, cin * 9), cout, cin, 3, 3);
        return b.op("Conv", new String[] {x, w, b.init(p + ".bias", new float[cout], cout)}, Attribute.of("kernel_shape", 3L, 3L),
                Attribute.of("pads", 1L, 1L, 1L, 1L), Attribute.of("strides", (long) stride, (long) stride));
    }

    /** Nearest ×2: (N,C,H,W) → (N,C,H,1,W,1) → Expand → (N,C,H,2,W,2) → (N,C,2H,2W); the channel entries are 0 (copy). */
    private static String upsample2(GraphBuilder b, String x, int h) {
        String y = b.op("Reshape", x, b.init("gen.up_in", Tensor.ofLongs(new long[] {-1, 0, h, 1, h, 1}, 6)));
        y = b.op("Expand", y, b.init("gen.up_by", Tensor.ofLongs(new long[] {1, 1, 1, 2, 1, 2}, 6)));
        return b.op("Reshape", y, b.init("gen.up_out", Tensor.ofLongs(new long[] {-1, 0, 2 * h, 2 * h}, 4)));
    }

    private static float[] uniform(SplittableRandom r, int n, int fanIn) {
        float[] v = new float[n];
        double a = Math.sqrt(6.0 / fanIn);
        for (int i = 0; i < n; i++) v[i] = (float) ((2 * r.nextDouble() - 1) * a);
        return v;
    }
}
