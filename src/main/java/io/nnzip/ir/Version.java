package io.nnzip.ir;

/** The tool's version, recorded in every file nnzip writes. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {}
}
