package io.nnzip.ir;

/**
 * An error caused by the user's input (a malformed file, an unsupported op, a shape mismatch): its message is
 * one line that names what is wrong and where, fit to print without a stack trace.
 */
public class NnzipException extends RuntimeException {
    public NnzipException(String message) { super(message); }

    public NnzipException(String message, Throwable cause) { super(message, cause); }
}
