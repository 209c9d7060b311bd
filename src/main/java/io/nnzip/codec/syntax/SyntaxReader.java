package io.nnzip.codec.syntax;

import io.nnzip.codec.bits.ByteSource;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a syntax description backwards: reads each element. Optionally records {@code name → value} of scalar
 * elements, which is how {@code nnzip inspect} shows a unit's fields without a second description of them.
 */
public final class SyntaxReader implements SyntaxIO {
    private final ByteSource in;
    private final Map<String, Object> trace;

    public SyntaxReader(ByteSource in) { this(in, false); }

    public SyntaxReader(ByteSource in, boolean traced) {
        this.in = in;
        this.trace = traced ? new LinkedHashMap<>() : null;
    }

    private <T> T note(String name, T v) {
        if (trace != null) trace.putIfAbsent(name, v);
        return v;
    }

    public Map<String, Object> trace() { return trace; }

    public ByteSource source() { return in; }

    @Override
    public boolean reading() { return true; }

    @Override
    public int u8(String name, int v) { return note(name, in.u8(name)); }

    @Override
    public float f32(String name, float v) { return note(name, in.f32(name)); }

    @Override
    public long uvar(String name, long v) { return note(name, in.uvar(name)); }

    @Override
    public long svar(String name, long v) { return note(name, in.svar(name)); }

    @Override
    public int count(String name, int v, long max) { return note(name, in.count(name, max)); }

    @Override
    public String str(String name, String v) {
        return note(name, new String(in.bytes(in.count(name + ".length", in.remaining()), name), StandardCharsets.UTF_8));
    }

    @Override
    public byte[] blob(String name, byte[] v) {
        byte[] b = in.bytes(in.count(name + ".length", in.remaining()), name);
        note(name + ".bytes", b.length);
        return b;
    }
}
