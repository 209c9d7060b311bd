package io.nnzip.engine.ops;

/** Op family placeholder: filled in with kernels and shape rules. */
public final class ConvOps {
    private ConvOps() {}

    public static void register() {}
}
