package io.nnzip.fuzz;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.codec.format.CrcFixer;
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
    public static void fuzzerInitialize() {
        io.nnzip.engine.OpRegistry.types();
        for (byte[] seed : FuzzSeeds.warmUp()) fuzzerTestOneInput(seed);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) return;
        byte[] rest = java.util.Arrays.copyOfRange(data, 1, data.length);
        if ((data[0] & 1) == 1) rest = CrcFixer.fix(rest);
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
