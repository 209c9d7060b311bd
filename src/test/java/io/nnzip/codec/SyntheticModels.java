package io.nnzip.codec;

import io.nnzip.codec.bench.SyntheticCnn;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.util.Random;

/** Test models: the benchmark's trained-like CNN, and "fine-tuned" variants of a model. */
public final class SyntheticModels {
    private SyntheticModels() {}

    public static Model cnn(long seed, int c1, int c2, int hidden) { return SyntheticCnn.build(seed, c1, c2, hidden); }

    public static float[] laplace(Random r, int n, double sd) { return SyntheticCnn.laplace(r, n, sd); }

    /** {@code m} plus two unused initializers of trained-like weights, one float16 ("half.fp16") and one bfloat16 ("half.bf16"). */
    public static Model withHalfTensors(Model m, long seed) {
        Random r = new Random(seed);
        Model c = m.copy();
        float[] w = laplace(r, 600, 0.1);
        short[] h = new short[w.length], b = new short[w.length];
        for (int i = 0; i < w.length; i++) {
            h[i] = Float.floatToFloat16(w[i]);
            b[i] = (short) (Float.floatToRawIntBits(w[i]) >>> 16);
        }
        h[7] = 0;
        b[9] = (short) 0x8000;
        c.graph().initializers().put("half.fp16", new Tensor(DType.FLOAT16, new int[] {20, 30}, h));
        c.graph().initializers().put("half.bf16", new Tensor(DType.BFLOAT16, new int[] {600}, b));
        return c;
    }

    /**
     * {@code m} plus an unused uint8 initializer "index.u8" shaped like a pruned k-means index tensor: 90 % zeros (the
     * pinned zero centroid), the rest bimodal over 1..15 (sorted negative and positive centroids).
     */
    public static Model withIndexTensor(Model m, long seed) {
        Model c = m.copy();
        c.graph().initializers().put("index.u8", new Tensor(DType.UINT8, new int[] {40, 50}, bimodalIndices(new Random(seed), 2000, 0.9)));
        return c;
    }

    /** {@code n} 4-bit k-means indices: 0 with probability {@code zeros}, else bimodal around 4 and 12. */
    public static byte[] bimodalIndices(Random r, int n, double zeros) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() < zeros) continue;
            int v = (int) Math.round((r.nextBoolean() ? 4 : 12) + 1.5 * r.nextGaussian());
            b[i] = (byte) Math.max(1, Math.min(15, v));
        }
        return b;
    }

    /** {@code m} with every float tensor moved by Laplacian noise of {@code rel} × its RMS: one fine-tuning epoch's worth. */
    public static Model finetune(Model m, long seed, double rel) {
        Random r = new Random(seed);
        Model c = m.copy();
        c.graph().initializers().replaceAll((k, t) -> {
            if (t.dtype() != DType.FLOAT) return t;
            float[] w = t.floats().clone();
            double ss = 0;
            for (float v : w) ss += (double) v * v;
            float[] d = laplace(r, w.length, Math.sqrt(ss / w.length) * rel);
            for (int i = 0; i < w.length; i++) w[i] += d[i];
            return new Tensor(DType.FLOAT, t.shape(), w);
        });
        return c;
    }
}
