package io.nnzip.codec.dom;

import io.nnzip.codec.format.NnzFormatException;
import io.nnzip.codec.syntax.SyntaxIO;
import io.nnzip.ir.NnzipException;
import io.nnzip.util.Printable;

/**
 * Syntax of a MEMBER unit, which starts the next model of a bundle:
 * <pre>
 * MemberUnit --&gt; Name:str, Role:u8 (0 root: coded on its own; 1 coded as its difference to the root)
 * </pre>
 * The root is the first member; its topology and tensor units follow it, then every other member's.
 */
public final class MemberUnit {
    public static final int ROOT = 0, DIFFERENCE = 1;
    public String name = "";
    public int role;

    public MemberUnit() {}

    public MemberUnit(String name, int role) {
        this.name = name;
        this.role = role;
    }

    public void syntax(SyntaxIO io) {
        name = io.str("name", name);
        try {
            checkName(name);
        } catch (NnzipException e) {
            // refused content, not a decoder fault: the checksum passed and the name is what the producer wrote
            throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, e.getMessage(), null);
        }
        role = io.u8("role", role);
    }

    /** Longest member name; file systems commonly allow 255 bytes, and ".onnx" may be appended. */
    public static final int MAX_NAME = 200;

    /**
     * A member's name becomes a file name on unpack, so it must be a plain one: not empty, {@code .} or {@code ..},
     * no path separator, no control character (NUL included), at most {@link #MAX_NAME} characters.
     */
    public static String checkName(String name) {
        boolean plain = !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.length() <= MAX_NAME;
        for (int i = 0; i < name.length() && plain; i++) {
            char c = name.charAt(i);
            plain = c >= 0x20 && c != 0x7f && c != '/' && c != '\\';
        }
        if (!plain) throw new NnzipException("bundle member name '" + Printable.of(name) + "' is not a plain file name");
        return name;
    }
}
