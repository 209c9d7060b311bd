package io.nnzip.codec.dom;

import io.nnzip.codec.syntax.SyntaxIO;

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
        role = io.u8("role", role);
    }
}
