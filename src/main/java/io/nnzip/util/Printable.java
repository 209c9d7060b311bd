package io.nnzip.util;

/** Text from an untrusted file made safe for a one-line error: control characters escaped, length bounded. */
public final class Printable {
    private Printable() {}

    public static String of(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (b.length() >= 200) b.append("...");
        return b.toString();
    }
}
