package io.nnzip.ir.canon;

/** One kind of canonicalizing rewrite and how often it applied, as a pass report lists it. */
public record Rewrite(String rule, int count, String what) {
    @Override
    public String toString() { return rule + " x" + count + ": " + what; }
}
