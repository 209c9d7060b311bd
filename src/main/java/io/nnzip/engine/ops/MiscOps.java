package io.nnzip.engine.ops;

/** Op family placeholder: filled in with kernels and shape rules. */
public final class MiscOps {
    private MiscOps() {}

    public static void register() {}
}
