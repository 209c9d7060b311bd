package io.nnzip.engine.ops;

/** Op family placeholder: filled in with kernels and shape rules. */
public final class ActivationOps {
    private ActivationOps() {}

    public static void register() {}
}
