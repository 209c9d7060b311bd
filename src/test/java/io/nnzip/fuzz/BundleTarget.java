package io.nnzip.fuzz;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.Map;

/**
 * Coverage-guided fuzzing of bundle unpacking up to the point where files would be written: stream, members, their
 * names and models. Checksums are recomputed when the first input byte is odd.
 */
public final class BundleTarget {
    /** Jazzer calls this once before fuzzing: class loading and instrumentation must not count against the timeout. */
    public static void fuzzerInitialize() { FuzzSeeds.warmUp(BundleTarget::fuzzerTestOneInput); }

    public static void fuzzerTestOneInput(byte[] data) {
        byte[] rest = FuzzSeeds.nnzBody(data);
        try {
            for (Map.Entry<String, Model> e : BundleCodec.unpack(rest, "fuzz.nnz").entrySet()) {
                MemberUnit.checkName(e.getKey());
                ModelValidator.validate(e.getValue());
            }
        } catch (NnzipException expected) {
            // refused cleanly
        }
    }
}
