package io.nnzip.prune;

import io.nnzip.ir.Graph;
import io.nnzip.ir.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which weights unstructured pruning zeroed, by initializer name (true = pruned). Fine-tuning re-applies them
 * so pruned weights stay exactly zero and the sparsity the report promises is the sparsity that ships.
 */
public final class WeightMasks {
    private final Map<String, boolean[]> pruned = new LinkedHashMap<>();

    public void put(String tensor, boolean[] mask) { pruned.put(tensor, mask); }

    public Map<String, boolean[]> all() { return pruned; }

    public boolean isEmpty() { return pruned.isEmpty(); }

    /** Sets every masked weight of {@code g} to zero (new tensors; the old ones may be shared). */
    public void apply(Graph g) {
        for (Map.Entry<String, boolean[]> e : pruned.entrySet()) {
            Tensor t = g.initializer(e.getKey());
            if (t == null) continue;
            float[] d = t.toFloats().clone();
            boolean[] m = e.getValue();
            for (int i = 0; i < d.length; i++) if (m[i]) d[i] = 0f;
            g.initializers().put(e.getKey(), Tensor.of(d, t.shape()));
        }
    }

    /** In-place variant for training loops that own their weight arrays. */
    public static void zero(float[] w, boolean[] mask) {
        for (int i = 0; i < w.length; i++) if (mask[i]) w[i] = 0f;
    }
}
