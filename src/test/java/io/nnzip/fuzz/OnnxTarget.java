package io.nnzip.fuzz;

import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxReader;

/**
 * Coverage-guided fuzzing of the ONNX reader and the validation every command runs after it. Any exception other
 * than a clean {@link NnzipException}, a hang or an out-of-memory error is a finding. {@code mvn test} replays its
 * seed corpus ({@link FuzzCorpusTest}); {@code scripts/fuzz} fuzzes it.
 */
public final class OnnxTarget {
    /** Jazzer calls this once before fuzzing: class loading and instrumentation must not count against the timeout. */
    public static void fuzzerInitialize() { FuzzSeeds.warmUp(OnnxTarget::fuzzerTestOneInput); }

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            ModelValidator.validate(OnnxReader.read(data, null));
        } catch (NnzipException expected) {
            // a one-line refusal is the right answer to malformed input
        }
    }
}
