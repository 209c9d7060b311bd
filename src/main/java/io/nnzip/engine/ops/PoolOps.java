package io.nnzip.engine.ops;

/** Op family placeholder: filled in with kernels and shape rules. */
public final class PoolOps {
    private PoolOps() {}

    public static void register() {}
}
