package io.nnzip.arch;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a model over calibration inputs in batches and collects named intermediate values, concatenated along
 * the batch axis: the activations layer-wise fitting needs.
 */
public final class Calibration {
    private Calibration() {}

    public static Map<String, Tensor> capture(Model m, String inputName, Tensor inputs, Collection<String> values, int batch) {
        Executor ex = new Executor(m.graph(), m.opset(), Parallel.common());
        int n = inputs.dim(0);
        Map<String, List<Tensor>> parts = new LinkedHashMap<>();
        for (String v : values) parts.put(v, new ArrayList<>());
        for (int lo = 0; lo < n; lo += batch) {
            int hi = Math.min(n, lo + batch);
            Map<String, Tensor> out = ex.run(Map.of(inputName, slice(inputs, lo, hi)), values);
            for (String v : values) {
                Tensor t = out.get(v);
                if (t == null) throw new NnzipException("calibration: value '" + v + "' was not computed");
                parts.get(v).add(t);
            }
        }
        Map<String, Tensor> res = new LinkedHashMap<>();
        for (Map.Entry<String, List<Tensor>> e : parts.entrySet()) res.put(e.getKey(), concat(e.getValue()));
        return res;
    }

    /** Rows [lo, hi) of a float tensor along axis 0. */
    public static Tensor slice(Tensor t, int lo, int hi) {
        int[] s = t.shape();
        int row = t.size() / s[0];
        float[] out = new float[(hi - lo) * row];
        System.arraycopy(t.floats(), lo * row, out, 0, out.length);
        s[0] = hi - lo;
        return Tensor.of(out, s);
    }

    public static Tensor concat(List<Tensor> ts) {
        if (ts.size() == 1) return ts.getFirst();
        int[] s = ts.getFirst().shape();
        int rows = 0, total = 0;
        for (Tensor t : ts) {
            rows += t.dim(0);
            total += t.size();
        }
        float[] out = new float[total];
        int off = 0;
        for (Tensor t : ts) {
            System.arraycopy(t.floats(), 0, out, off, t.size());
            off += t.size();
        }
        s[0] = rows;
        return Tensor.of(out, s);
    }
}
