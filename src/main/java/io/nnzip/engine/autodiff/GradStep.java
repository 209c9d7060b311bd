package io.nnzip.engine.autodiff;

import io.nnzip.engine.Parallel;
import io.nnzip.engine.autodiff.kernels.ArrayPool;
import io.nnzip.ir.DType;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;

/**
 * Everything one backward rule sees: the node, its forward inputs and outputs, the gradients arriving at its
 * outputs (null where none flows), which inputs want a gradient, and what the training-mode forward saved.
 */
public record GradStep(Node node, Tensor[] in, Tensor[] out, Tensor[] dOut, boolean[] need, Object saved,
                       int opset, Parallel par, ArrayPool pool) {
    public Tensor in(int i) { return i < in.length ? in[i] : null; }

    public Tensor out(int i) { return out[i]; }

    public boolean need(int i) { return i < need.length && need[i]; }

    /** Gradient at output 0 as floats. */
    public float[] dy() { return dOut[0].floats(); }

    public float[] x(int i) { return in[i].floats(); }

    public float[] y() { return out[0].floats(); }

    /** A gradient tensor shaped like input {@code i}. */
    public Tensor like(int i, float[] g) { return new Tensor(DType.FLOAT, in[i].shape(), g); }

    /** A step-scoped array for input {@code i}'s gradient (see {@link ArrayPool}). */
    public float[] gradBuffer(int i, boolean zero) { return pool.floats(in[i].size(), zero); }

    /** Gradient for input 0 only. */
    public Tensor[] only(float[] dx0) {
        Tensor[] r = new Tensor[in.length];
        if (need(0)) r[0] = like(0, dx0);
        return r;
    }
}
