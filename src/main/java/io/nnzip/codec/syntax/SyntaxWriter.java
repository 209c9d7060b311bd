package io.nnzip.codec.syntax;

import io.nnzip.codec.bits.ByteSink;
import java.nio.charset.StandardCharsets;

/** Runs a syntax description forwards: writes each element's value. */
public final class SyntaxWriter implements SyntaxIO {
    private final ByteSink out;

    public SyntaxWriter(ByteSink out) { this.out = out; }

    @Override
    public boolean reading() { return false; }

    @Override
    public int u8(String name, int v) {
        out.u8(v);
        return v;
    }

    @Override
    public float f32(String name, float v) {
        out.f32(v);
        return v;
    }

    @Override
    public long uvar(String name, long v) {
        out.uvar(v);
        return v;
    }

    @Override
    public long svar(String name, long v) {
        out.svar(v);
        return v;
    }

    @Override
    public int count(String name, int v, long max) {
        if (v < 0 || v > max) throw new IllegalArgumentException(name + " = " + v + " out of range");
        out.uvar(v);
        return v;
    }

    @Override
    public String str(String name, String v) {
        blob(name, v.getBytes(StandardCharsets.UTF_8));
        return v;
    }

    @Override
    public byte[] blob(String name, byte[] v) {
        out.uvar(v.length);
        out.bytes(v);
        return v;
    }
}
