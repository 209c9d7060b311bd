package io.nnzip.ir;

/** One dimension of a declared shape: a known size, a named symbol (e.g. {@code batch}), or unknown. */
public record Dim(long value, String param) {
    public static final Dim UNKNOWN = new Dim(-1, null);

    public static Dim of(long v) { return new Dim(v, null); }

    public static Dim param(String name) { return new Dim(-1, name); }

    public boolean known() { return value >= 0; }

    @Override
    public String toString() { return known() ? Long.toString(value) : param != null ? param : "?"; }
}
