package io.nnzip.codec.syntax;

/**
 * One description of a syntax structure, run in either direction. A structure's {@code syntax(SyntaxIO io)} method
 * lists its elements once, e.g. {@code step = io.f32("step", step)}: a {@link SyntaxWriter} writes the given value
 * and returns it, a {@link SyntaxReader} ignores it and returns what it read. Encoder and decoder share that one
 * method, so they cannot drift apart. Element types:
 * <ul>
 *   <li>{@code u8}: one byte; {@code f32}: IEEE-754 binary32, little endian;</li>
 *   <li>{@code uvar}: unsigned LEB128 varint; {@code svar}: zigzag-mapped signed varint;</li>
 *   <li>{@code count}: a uvar that must lie in [0, max];</li>
 *   <li>{@code str}: count(bytes) then UTF-8; {@code blob}: count(bytes) then the bytes.</li>
 * </ul>
 */
public interface SyntaxIO {
    boolean reading();

    int u8(String name, int v);

    float f32(String name, float v);

    long uvar(String name, long v);

    long svar(String name, long v);

    int count(String name, int v, long max);

    String str(String name, String v);

    byte[] blob(String name, byte[] v);

    /** {@code n} float32 values. */
    default float[] f32s(String name, float[] v, int n) {
        float[] out = reading() ? new float[n] : v;
        for (int i = 0; i < n; i++) out[i] = f32(name, reading() ? 0 : v[i]);
        return out;
    }
}
