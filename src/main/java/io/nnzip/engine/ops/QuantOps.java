package io.nnzip.engine.ops;

/** Op family placeholder: filled in with kernels and shape rules. */
public final class QuantOps {
    private QuantOps() {}

    public static void register() {}
}
