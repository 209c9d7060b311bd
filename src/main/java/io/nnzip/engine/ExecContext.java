package io.nnzip.engine;

import java.util.SplittableRandom;

/** What a kernel may use besides its inputs: the thread team, the model's opset, the training flag, a seeded RNG. */
public final class ExecContext {
    private final Parallel parallel;
    private final int opset;
    private boolean training;
    private final SplittableRandom random;

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
}
