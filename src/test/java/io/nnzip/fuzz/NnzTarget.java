package io.nnzip.fuzz;

import io.nnzip.codec.NnzCodec;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.NnzipException;

/**
 * Coverage-guided fuzzing of the .nnz model decoder (what {@code decode} runs). When the first input byte is odd the
 * checksums are recomputed, so mutations reach the unit decoders instead of stopping at the CRC check.
 */
public final class NnzTarget {
    /** Jazzer calls this once before fuzzing: class loading and instrumentation must not count against the timeout. */
    public static void fuzzerInitialize() { FuzzSeeds.warmUp(NnzTarget::fuzzerTestOneInput); }

    public static void fuzzerTestOneInput(byte[] data) {
        byte[] rest = FuzzSeeds.nnzBody(data);
        try {
            ModelValidator.validate(NnzCodec.decode(rest, "fuzz.nnz"));
        } catch (NnzipException expected) {
            // refused cleanly
        }
    }
}
