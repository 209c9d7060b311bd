package io.nnzip.engine;

import java.util.SplittableRandom;

/** What a kernel may use besides its inputs: the thread team, the model's opset, the training flag, a seeded RNG. */
public final class ExecContext {
    private final Parallel parallel;
    private final int opset;
    private boolean training;
    private final SplittableRandom random;
    /** Set by {@link Executor}: intermediates may be recycled and weights are only read, not updated, in place. */
    private BufferPool pool;
    /** Set by a training tape: where kernel outputs come from during a step (see {@link #floats}). */
    private java.util.function.IntFunction<float[]> stepArrays;

    public ExecContext(Parallel parallel, int opset) { this(parallel, opset, false, 0); }

    public ExecContext(Parallel parallel, int opset, boolean training, long seed) {
        this.parallel = parallel;
        this.opset = opset;
        this.training = training;
        this.random = new SplittableRandom(seed);
    }

    public Parallel parallel() { return parallel; }

    public int opset() { return opset; }

    /** True while training: Dropout drops, BatchNormalization uses batch statistics. */
    public boolean training() { return training; }

    public void setTraining(boolean t) { training = t; }

    public SplittableRandom random() { return random; }

    /**
     * A float array of {@code size} for a kernel output, recycled from an earlier node or run when this context
     * belongs to an {@link Executor}. Its contents are stale: only kernels that overwrite every element may use it.
     */
    public float[] floats(int size) {
        return pool != null ? pool.take(size) : stepArrays != null ? stepArrays.apply(size) : new float[size];
    }

    /**
     * Kernel outputs taken through {@link #floats} come from {@code source} (a training tape's per-step arrays,
     * recycled when its next forward pass starts); null: fresh arrays.
     */
    public void setStepArrays(java.util.function.IntFunction<float[]> source) { stepArrays = source; }

    /** True when run by an {@link Executor} (inference over a graph), not by a training tape. */
    public boolean inference() { return pool != null && !training; }

    BufferPool pool() { return pool; }

    void enablePool() { if (pool == null) pool = new BufferPool(); }
}
