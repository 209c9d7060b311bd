package io.nnzip.data;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;

/** Dataset images as the tensor a model's input takes: normalized, and reshaped to the input's rank when the sizes agree. */
public final class ModelInputs {
    private ModelInputs() {}

    /** All images of {@code d}, normalized, as one (N,C,H,W) tensor (or the rank of {@code m}'s input when m is given). */
    public static Tensor images(Dataset d, Normalization norm, Model m) {
        float[] x = d.pixels().clone();
        norm.apply(x, 0, d.size(), d.channels(), d.height() * d.width());
        Tensor t = Tensor.of(x, d.size(), d.channels(), d.height(), d.width());
        return m == null ? t : fitToInput(t, m);
    }

    /** Reshapes samples to the model input's rank ((N,784) ↔ (N,1,28,28)) when the element counts agree. */
    public static Tensor fitToInput(Tensor x, Model m) {
        ValueInfo in = m.graph().runtimeInputs().get(0);
        int[] want = in.concreteShape(-1);
        if (want == null || want.length < 2) return x;
        want[0] = x.dim(0);
        for (int i = 1; i < want.length; i++) if (want[i] < 0) return x;
        if (java.util.Arrays.equals(want, x.shape())) return x;
        int per = x.size() / x.dim(0), wantPer = 1;
        for (int i = 1; i < want.length; i++) wantPer *= want[i];
        if (wantPer != per)
            throw new NnzipException("data samples have " + per + " values, the model input '" + in.name() + "' takes " + in.shapeString());
        return x.reshape(want);
    }
}
