package io.nnzip.quant;

import io.nnzip.ir.NnzipException;

/** A parsed {@code --scheme}: int8, dynamic-int8, int4, int2, kmeans:BITS, binary, ternary, inq:BITS, fp16, bf16, fixed16,
 * bitsplit:BITS, stt, onehot:BITS. */
public record Scheme(Kind kind, int bits) {
    public enum Kind { INT8, GROUPED, KMEANS, BINARY, TERNARY, INQ, FP16, BF16, FIXED16, DYNAMIC_INT8, BITSPLIT, STT, ONEHOT }

    public static Scheme parse(String s) {
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("int8")) return new Scheme(Kind.INT8, 8);
        if (v.equals("dynamic-int8")) return new Scheme(Kind.DYNAMIC_INT8, 8);
        if (v.equals("int4")) return new Scheme(Kind.GROUPED, 4);
        if (v.equals("int2")) return new Scheme(Kind.GROUPED, 2);
        if (v.equals("binary")) return new Scheme(Kind.BINARY, 1);
        if (v.equals("ternary")) return new Scheme(Kind.TERNARY, 2);
        if (v.equals("fp16")) return new Scheme(Kind.FP16, 16);
        if (v.equals("bf16")) return new Scheme(Kind.BF16, 16);
        if (v.equals("fixed16")) return new Scheme(Kind.FIXED16, 16);
        if (v.equals("stt")) return new Scheme(Kind.STT, 2);
        if (v.startsWith("bitsplit:")) return new Scheme(Kind.BITSPLIT, bits(s, v.substring(9), 2, 8));
        if (v.startsWith("onehot:")) return new Scheme(Kind.ONEHOT, bits(s, v.substring(7), 2, 7));
        if (v.startsWith("kmeans:")) return new Scheme(Kind.KMEANS, bits(s, v.substring(7), 1, 8));
        if (v.startsWith("inq:")) return new Scheme(Kind.INQ, bits(s, v.substring(4), 2, 8));
        throw new NnzipException("--scheme must be int8, dynamic-int8, int4, int2, kmeans:BITS, binary, ternary, inq:BITS, fp16, bf16, fixed16, bitsplit:BITS, stt or onehot:BITS, not '" + s + "'");
    }

    private static int bits(String s, String v, int lo, int hi) {
        try {
            int b = Integer.parseInt(v);
            if (b >= lo && b <= hi) return b;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new NnzipException("--scheme " + s + ": BITS must be an integer in [" + lo + ", " + hi + "]");
    }
}
