package io.nnzip.quant.calib;

import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Inputs (first axis = sample) and optional integer labels, as calibration and evaluation read them. Batches
 * are views made on demand, so one array serves any batch size.
 */
public record LabeledData(Tensor inputs, int[] labels) {
    /** The first {@code limit} images of {@code d} (all when limit ≤ 0), normalized and shaped for {@code m}'s input. */
    public static LabeledData of(io.nnzip.data.Dataset d, io.nnzip.data.Normalization norm, io.nnzip.ir.Model m, int limit) {
        io.nnzip.data.Dataset h = d.head(limit);
        return new LabeledData(io.nnzip.data.ModelInputs.images(h, norm, m), h.labelled() ? h.labels() : null);
    }

    public int size() { return inputs.dim(0); }

    public boolean hasLabels() { return labels != null; }

    /** The first {@code n} samples. */
    public LabeledData head(int n) {
        if (n >= size()) return this;
        return new LabeledData(slice(0, n), labels == null ? null : java.util.Arrays.copyOf(labels, n));
    }

    public Tensor slice(int from, int to) {
        int[] shape = inputs.shape();
        int per = inputs.size() / shape[0];
        shape[0] = to - from;
        float[] out = new float[(to - from) * per];
        System.arraycopy(inputs.floats(), from * per, out, 0, out.length);
        return Tensor.of(out, shape);
    }

    public List<Tensor> batches(int batch) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < size(); i += batch) out.add(slice(i, Math.min(size(), i + batch)));
        return out;
    }
}
