package io.nnzip.ir;

/** An op, or an attribute value or input type of an op, that nnzip does not implement; the message names it. */
public final class UnsupportedOpException extends NnzipException {
    private final String what;

    public UnsupportedOpException(String what) {
        super("unsupported: " + what);
        this.what = what;
    }

    /** What is missing, e.g. {@code "Resize"} or {@code "Conv auto_pad=FOO"}. */
    public String what() { return what; }
}
