package io.nnzip.fuzz;

import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.format.CrcFixer;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.NnzipException;

/**
 * Coverage-guided fuzzing of the .nnz model decoder (what {@code decode} runs). When the first input byte is odd the
 * checksums are recomputed, so mutations reach the unit decoders instead of stopping at the CRC check.
 */
public final class NnzTarget {
    /** Jazzer calls this once before fuzzing: class loading and instrumentation must not count against the timeout. */
    public static void fuzzerInitialize() {
        io.nnzip.engine.OpRegistry.types();
        for (byte[] seed : FuzzSeeds.warmUp()) fuzzerTestOneInput(seed);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) return;
        byte[] rest = java.util.Arrays.copyOfRange(data, 1, data.length);
        if ((data[0] & 1) == 1) rest = CrcFixer.fix(rest);
        try {
            ModelValidator.validate(NnzCodec.decode(rest, "fuzz.nnz"));
        } catch (NnzipException expected) {
            // refused cleanly
        }
    }

}
