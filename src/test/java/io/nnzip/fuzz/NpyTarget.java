package io.nnzip.fuzz;

import io.nnzip.ir.NnzipException;
import io.nnzip.numpy.Npy;
import java.io.ByteArrayInputStream;

/**
 * Coverage-guided fuzzing of the .npy and .npz readers (the first input byte picks which), the data path of
 * {@code run}, {@code eval} and calibration. Anything but a clean {@link NnzipException} is a finding.
 */
public final class NpyTarget {
    /** Jazzer calls this once before fuzzing: class loading and instrumentation must not count against the timeout. */
    public static void fuzzerInitialize() { FuzzSeeds.warmUp(NpyTarget::fuzzerTestOneInput); }

    public static void fuzzerTestOneInput(byte[] data) {
        byte[] rest = FuzzSeeds.body(data);
        try {
            if (data.length > 0 && (data[0] & 1) == 0) Npy.parse(rest, "fuzz.npy");
            else Npy.parseNpz(new ByteArrayInputStream(rest), "fuzz.npz");
        } catch (NnzipException expected) {
            // refused cleanly
        }
    }
}
