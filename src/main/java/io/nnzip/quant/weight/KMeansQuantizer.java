package io.nnzip.quant.weight;

import io.nnzip.ir.Tensor;
import java.util.Arrays;

/**
 * Per-layer weight sharing by 1-D k-means (Han et al., "Deep Compression"): 2^bits centroids initialized
 * linearly between the layer's min and max weight (the init that keeps the rare large weights representable),
 * then Lloyd iterations. On sorted values the assignment is a scan, so each iteration is O(n).
 *
 * <p>A pruned layer's exact zeros get a centroid of their own, pinned at 0 (index 0), and only the surviving
 * weights are clustered into the remaining 2^bits − 1 centroids. Otherwise the zeros would share a cluster with
 * the smallest survivors and decode to a small non-zero value: the model would lose its sparsity, and the zeros
 * would pull that centroid away from the survivors it should fit.
 */
public final class KMeansQuantizer {
    /** Centroids and each weight's cluster. */
    public record Clusters(float[] centroids, int[] index) {}

    private final int bits, iterations;

    public KMeansQuantizer(int bits, int iterations) {
        this.bits = bits;
        this.iterations = iterations;
    }

    public Clusters cluster(float[] w) {
        int k = 1 << bits, n = w.length, zeros = 0;
        for (float v : w) if (v == 0f) zeros++;
        // pinning costs one centroid, so it pays only when zeros are a real share (pruning), not a stray value
        if (k >= 4 && zeros < n && (long) k * zeros >= n) return withPinnedZero(w, zeros);
        return lloyd(w, k);
    }

    private Clusters withPinnedZero(float[] w, int zeros) {
        float[] nonzero = new float[w.length - zeros];
        int m = 0;
        for (float v : w) if (v != 0f) nonzero[m++] = v;
        Clusters rest = lloyd(nonzero, (1 << bits) - 1);
        float[] centroids = new float[1 << bits];
        System.arraycopy(rest.centroids(), 0, centroids, 1, rest.centroids().length);
        int[] index = new int[w.length];
        m = 0;
        for (int i = 0; i < w.length; i++) index[i] = w[i] == 0f ? 0 : 1 + rest.index()[m++];
        return new Clusters(centroids, index);
    }

    private Clusters lloyd(float[] w, int k) {
        int n = w.length;
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float v : w) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double[] c = new double[k];
        for (int j = 0; j < k; j++) c[j] = k == 1 ? (lo + hi) / 2.0 : lo + (hi - lo) * j / (k - 1.0);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(w[a], w[b]));
        int[] index = new int[n];
        for (int it = 0; it < iterations; it++) {
            double[] sum = new double[k];
            int[] cnt = new int[k];
            int j = 0;
            for (int oi = 0; oi < n; oi++) {
                int i = order[oi];
                // values ascend, so the nearest centroid index never decreases (centroids stay sorted)
                while (j + 1 < k && Math.abs(w[i] - c[j + 1]) <= Math.abs(w[i] - c[j])) j++;
                index[i] = j;
                sum[j] += w[i];
                cnt[j]++;
            }
            boolean moved = false;
            for (int q = 0; q < k; q++)
                if (cnt[q] > 0) {
                    double nc = sum[q] / cnt[q];
                    moved |= nc != c[q];
                    c[q] = nc;
                }
            Arrays.sort(c);
            if (!moved) break;
        }
        // final assignment against the final centroids
        int j = 0;
        for (int oi = 0; oi < n; oi++) {
            int i = order[oi];
            while (j + 1 < k && Math.abs(w[i] - c[j + 1]) <= Math.abs(w[i] - c[j])) j++;
            index[i] = j;
        }
        float[] cf = new float[k];
        for (int q = 0; q < k; q++) cf[q] = (float) c[q];
        return new Clusters(cf, index);
    }

    public EncodedWeight encode(Tensor w, boolean uint4) {
        Clusters cl = cluster(w.toFloats());
        return Codebook.encode(w, cl.centroids(), cl.index(), bits, uint4);
    }
}
