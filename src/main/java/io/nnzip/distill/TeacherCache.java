package io.nnzip.distill;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ensemble's soft targets for a whole training set, computed once before training. Training batches arrive
 * shuffled, so rows are found again by a 64-bit hash of each normalized image (the same loader pipeline produces
 * bit-identical floats); an image not in the cache (e.g. augmented) makes {@link #lookup} return null so the caller
 * runs the teachers on that batch instead. Identical images share one row, which is harmless: their targets agree.
 * <pre>dataset: M images -> soft-target logits: (M,K)</pre>
 */
public final class TeacherCache {
    private final Map<Long, Integer> rowOf;
    private final float[] logits;
    private final int classes;

    private TeacherCache(Map<Long, Integer> rowOf, float[] logits, int classes) {
        this.rowOf = rowOf;
        this.logits = logits;
        this.classes = classes;
    }

    public static TeacherCache build(TeacherEnsemble teachers, Dataset train, Normalization norm, float temperature, int batchSize) {
        int m = train.size();
        Map<Long, Integer> rowOf = new HashMap<>(m * 2);
        float[] all = null;
        int k = 0, row = 0;
        try (BatchLoader loader = new BatchLoader(train, batchSize, false, norm, Augment.NONE, 0, 0)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                float[] z = teachers.run(b.images(), temperature, List.of()).get(TeacherEnsemble.SOFT_TARGETS).floats();
                int n = b.size();
                if (all == null) {
                    k = z.length / n;
                    all = new float[m * k];
                }
                System.arraycopy(z, 0, all, row * k, n * k);
                float[] x = b.images().floats();
                int is = x.length / n;
                for (int i = 0; i < n; i++) rowOf.putIfAbsent(hash(x, i * is, is), row + i);
                row += n;
            }
        }
        return new TeacherCache(rowOf, all == null ? new float[0] : all, k);
    }

    public int size() { return rowOf.size(); }

    /** The cached soft-target logits of a batch, or null if any of its images is not in the cache. */
    public Tensor lookup(Tensor images) {
        int n = images.dim(0);
        float[] x = images.floats(), out = new float[n * classes];
        int is = x.length / n;
        for (int i = 0; i < n; i++) {
            Integer r = rowOf.get(hash(x, i * is, is));
            if (r == null) return null;
            System.arraycopy(logits, r * classes, out, i * classes, classes);
        }
        return Tensor.of(out, n, classes);
    }

    // splitmix64-style mixing of the float bits: 60 000 images leave a collision chance of ~1e-10
    static long hash(float[] x, int off, int len) {
        long h = 0x9E3779B97F4A7C15L ^ len;
        for (int i = off; i < off + len; i++) {
            h ^= Float.floatToRawIntBits(x[i]) & 0xFFFFFFFFL;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        h *= 0x94D049BB133111EBL;
        return h ^ (h >>> 29);
    }
}
