package io.nnzip.prune.dep;

import io.nnzip.ir.Tensor;

/** Removing and zeroing index sets along one axis of a dense tensor (any element type). */
public final class TensorSlicing {
    private TensorSlicing() {}

    /** A new tensor without the entries {@code removed} (sorted, distinct) of {@code axis}. */
    public static Tensor remove(Tensor t, int axis, int[] removed) {
        int[] shape = t.shape();
        boolean[] drop = new boolean[shape[axis]];
        for (int r : removed) drop[r] = true;
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        int kept = shape[axis] - removed.length;
        int[] ns = shape.clone();
        ns[axis] = kept;
        Object src = t.data(), dst = Tensor.allocate(t.dtype(), outer * kept * inner);
        int w = 0;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < shape[axis]; a++) {
                if (drop[a]) continue;
                System.arraycopy(src, (o * shape[axis] + a) * inner, dst, w, inner);
                w += inner;
            }
        return new Tensor(t.dtype(), ns, dst);
    }

    /** A copy of a float tensor with entries {@code idx} of {@code axis} set to zero. */
    public static Tensor zero(Tensor t, int axis, int[] idx) {
        int[] shape = t.shape();
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] d = t.toFloats().clone();
        for (int o = 0; o < outer; o++)
            for (int a : idx) java.util.Arrays.fill(d, (o * shape[axis] + a) * inner, (o * shape[axis] + a + 1) * inner, 0f);
        return Tensor.of(d, shape);
    }
}
