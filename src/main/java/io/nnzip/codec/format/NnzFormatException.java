package io.nnzip.codec.format;

import io.nnzip.ir.NnzipException;

/**
 * A .nnz stream that cannot be read, with why: not an .nnz stream at all, written by a too old or too new
 * format version, corrupt (a checksum failed or the data is cut short), or undecodable although every checksum
 * passed (a bug, or a producer this reader does not understand).
 */
public final class NnzFormatException extends NnzipException {
    public enum Kind { NOT_NNZ, TOO_OLD, TOO_NEW, CORRUPT, UNDECODABLE }

    private final Kind kind;
    private final Boolean checksumPassed;

    public NnzFormatException(Kind kind, Boolean checksumPassed, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.checksumPassed = checksumPassed;
    }

    public Kind kind() { return kind; }

    /** Whether the file checksum passed: true, false, or null when it could not be checked. */
    public Boolean checksumPassed() { return checksumPassed; }
}
