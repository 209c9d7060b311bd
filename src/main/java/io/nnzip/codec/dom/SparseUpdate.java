package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sparsified updates for federated rounds (top-k with error feedback): per weight tensor only the fraction of
 * weights with the largest accumulated change moves; the rest of the change is not lost but kept by the sender as a
 * residual and added to the next round's change. The coded stream is an ordinary update whose target differs from
 * the base in those weights only (zero levels elsewhere), so receivers need nothing new.
 */
public final class SparseUpdate {
    /** The model to code as the update (base + the chosen changes), and how many weights moved. */
    public record Sparse(Model target, long kept, long total) {}

    private SparseUpdate() {}

    /** Keeps the top {@code fraction} of |next − have + residual| per quantized weight tensor; others move wholly. */
    public static Sparse sparsify(Model have, Model next, Map<String, Tensor> residual, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new NnzipException("top-k fraction " + fraction + " must lie in (0, 1]");
        Model target = next.copy();
        long kept = 0, total = 0;
        for (Map.Entry<String, Tensor> e : target.graph().initializers().entrySet()) {
            Tensor t = e.getValue(), b = have.graph().initializer(e.getKey());
            if (!sparsifiable(t, b)) continue;
            float[] d = change(t, b, residual.get(e.getKey()));
            float[] mag = new float[d.length];
            for (int i = 0; i < d.length; i++) mag[i] = Math.abs(d[i]);
            int k = (int) Math.ceil(fraction * d.length);
            float[] sorted = mag.clone();
            Arrays.sort(sorted);
            float cut = sorted[d.length - k];
            float[] base = b.floats(), w = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                boolean send = mag[i] >= cut && mag[i] > 0;
                w[i] = send ? base[i] + d[i] : base[i];
                if (send) kept++;
            }
            total += d.length;
            e.setValue(new Tensor(DType.FLOAT, t.shape(), w));
        }
        return new Sparse(target, kept, total);
    }

    /** The sender's new residual: what the receiver still lacks of next + residual after applying the update. */
    public static Map<String, Tensor> residual(Model have, Model next, Map<String, Tensor> residual, Model patched) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : next.graph().initializers().entrySet()) {
            Tensor t = e.getValue(), p = patched.graph().initializer(e.getKey());
            if (!sparsifiable(t, have.graph().initializer(e.getKey())) || p == null) continue;
            float[] d = change(t, p, residual.get(e.getKey()));
            out.put(e.getKey(), new Tensor(DType.FLOAT, t.shape(), d));
        }
        return out;
    }

    private static boolean sparsifiable(Tensor t, Tensor b) {
        return t.dtype() == DType.FLOAT && b != null && b.dtype() == DType.FLOAT && Arrays.equals(t.shape(), b.shape())
                && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
    }

    private static float[] change(Tensor t, Tensor b, Tensor res) {
        float[] x = t.floats(), y = b.floats(), d = new float[x.length];
        float[] r = res != null && Arrays.equals(res.shape(), t.shape()) ? res.floats() : null;
        for (int i = 0; i < d.length; i++) d[i] = x[i] - y[i] + (r == null ? 0 : r[i]);
        return d;
    }
}
