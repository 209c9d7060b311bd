package io.nnzip.spark;

import io.nnzip.ir.NnzipException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * How a model update travels between workers and the driver. The sender keeps what the message could not carry (the
 * residual) and adds it to its next update (error feedback), so over rounds nothing is lost, only delayed.
 * <ul>
 *   <li>int8: per block of {@link #BLOCK} values one float scale (max |x| / 127) and one signed byte per value
 *       (Dettmers' 8-bit approximation with a per-block range): ≈ 0.254× of float32.</li>
 *   <li>threshold: only entries with |x| ≥ τ travel, as ±τ (Strom 2015), packed as index·2 + sign in 4 bytes; τ is
 *       chosen per message so that about {@link #DENSITY} of the entries pass (DL4J's adaptive threshold). Entries
 *       marked exact (state no optimizer steps: BatchNormalization running statistics, QAT ranges) travel as float32
 *       and keep no residual: their change is a distance to a target (a running average's pull toward the batch
 *       statistics), recomputed every round from the last state all copies share, so a held-back residual would be
 *       counted again each round and overshoot when sent. They are a few hundred values against the model's 10⁵.</li>
 *   <li>float: float32 as is (the reference the exchange ratio is measured against).</li>
 * </ul>
 */
public final class UpdateCodec implements java.io.Serializable {
    public static final int BLOCK = 256;
    public static final double DENSITY = 0.01;
    private static final int SAMPLE = 16384;

    private final String kind;
    private final float[] residual;
    private final int[] exactRanges; // start, end pairs of the entries threshold messages carry exactly

    public UpdateCodec(String kind, int size) {
        this(kind, size, null);
    }

    /** As {@link #UpdateCodec(String, int)}; threshold messages carry the entries {@code exact} marks as float32. */
    public UpdateCodec(String kind, int size, boolean[] exact) {
        if (!kind.equals("int8") && !kind.equals("threshold") && !kind.equals("float"))
            throw new NnzipException("--exchange must be int8, threshold or float, got '" + kind + "'");
        if (exact != null && exact.length != size) throw new IllegalArgumentException("exact mask has " + exact.length + " entries, the update " + size);
        this.kind = kind;
        this.residual = new float[size];
        this.exactRanges = ranges(exact);
    }

    private static int[] ranges(boolean[] mask) {
        if (mask == null) return new int[0];
        int[] out = new int[mask.length + 1];
        int k = 0;
        for (int i = 0; i < mask.length; ) {
            if (!mask[i]) { i++; continue; }
            int j = i;
            while (j < mask.length && mask[j]) j++;
            out[k++] = i;
            out[k++] = j;
            i = j;
        }
        return Arrays.copyOf(out, k);
    }

    /** Bytes float32 exchange would send for {@code n} values. */
    public static long floatBytes(int n) { return 4L * n; }

    /** A copy of what the sent messages did not carry yet (for a restarted copy of this sender). */
    float[] residual() { return residual.clone(); }

    /** Continues from a residual {@link #residual()} returned. */
    void residual(float[] r) { System.arraycopy(r, 0, residual, 0, residual.length); }

    /** Encodes update + residual; the residual becomes what the message did not carry. */
    public byte[] encode(float[] update) {
        int n = residual.length;
        for (int i = 0; i < n; i++) residual[i] += update[i];
        byte[] msg = switch (kind) {
            case "int8" -> int8(residual);
            case "threshold" -> threshold(residual, exactRanges);
            default -> floats(residual);
        };
        float[] sent = new float[n];
        addDecoded(msg, sent, 1f);
        for (int i = 0; i < n; i++) residual[i] -= sent[i];
        return msg;
    }

    /** into += scale · decode(msg). */
    public static void addDecoded(byte[] msg, float[] into, float scale) {
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
        byte kind = b.get();
        int n = b.getInt();
        if (kind == 'm') n = into.length; // a bundle: its messages check their own size
        if (n != into.length) throw new NnzipException("update message has " + n + " values, the model " + into.length);
        switch (kind) {
            case 'i' -> {
                for (int start = 0; start < n; start += BLOCK) {
                    float s = b.getFloat() * scale;
                    int end = Math.min(n, start + BLOCK);
                    for (int i = start; i < end; i++) into[i] += s * b.get();
                }
            }
            case 't' -> {
                float tau = b.getFloat() * scale;
                for (int c = b.getInt(); c > 0; c--) {
                    int v = b.getInt();
                    into[v >>> 1] += (v & 1) == 0 ? tau : -tau;
                }
                while (b.hasRemaining()) {
                    int start = b.getInt(), end = b.getInt();
                    for (int i = start; i < end; i++) into[i] += scale * b.getFloat();
                }
            }
            case 'm' -> {
                int count = b.getInt();
                for (int c = 0; c < count; c++) {
                    byte[] sub = new byte[b.getInt()];
                    b.get(sub);
                    addDecoded(sub, into, scale / count);
                }
            }
            case 'f' -> {
                for (int i = 0; i < n; i++) into[i] += scale * b.getFloat();
            }
            default -> throw new NnzipException("unknown update message kind " + kind);
        }
    }

    /** Several messages as one; decoding it adds their mean. */
    public static byte[] forward(java.util.List<byte[]> msgs) {
        int bytes = 4;
        for (byte[] m : msgs) bytes += 4 + m.length;
        ByteBuffer b = header('m', 0, bytes);
        b.putInt(msgs.size());
        for (byte[] m : msgs) b.putInt(m.length).put(m);
        return b.array();
    }

    private static ByteBuffer header(char kind, int n, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(5 + bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) kind).putInt(n);
        return b;
    }

    static byte[] int8(float[] x) {
        int n = x.length, blocks = (n + BLOCK - 1) / BLOCK;
        ByteBuffer b = header('i', n, blocks * 4 + n);
        for (int start = 0; start < n; start += BLOCK) {
            int end = Math.min(n, start + BLOCK);
            float max = 0;
            for (int i = start; i < end; i++) max = Math.max(max, Math.abs(x[i]));
            float s = max / 127f;
            b.putFloat(s);
            float inv = s == 0 ? 0 : 1 / s;
            for (int i = start; i < end; i++) b.put((byte) Math.max(-127, Math.min(127, Math.round(x[i] * inv))));
        }
        return b.array();
    }

    /** τ, the count and the ±τ entries, then per exact range its start, end and float32 values. */
    static byte[] threshold(float[] x, int[] exact) {
        boolean[] skip = new boolean[x.length];
        int exactCount = 0;
        for (int r = 0; r < exact.length; r += 2) {
            Arrays.fill(skip, exact[r], exact[r + 1], true);
            exactCount += exact[r + 1] - exact[r];
        }
        float tau = tau(x, skip);
        int count = 0;
        if (tau > 0) for (int i = 0; i < x.length; i++) if (!skip[i] && Math.abs(x[i]) >= tau) count++;
        ByteBuffer b = header('t', x.length, 8 + 4 * count + 4 * exact.length + 4 * exactCount);
        b.putFloat(tau).putInt(count);
        if (tau > 0) for (int i = 0; i < x.length; i++) if (!skip[i] && Math.abs(x[i]) >= tau) b.putInt(i << 1 | (x[i] < 0 ? 1 : 0));
        for (int r = 0; r < exact.length; r += 2) {
            b.putInt(exact[r]).putInt(exact[r + 1]);
            for (int i = exact[r]; i < exact[r + 1]; i++) b.putFloat(x[i]);
        }
        return b.array();
    }

    /** The |x| quantile over the entries {@code skip} leaves, leaving about DENSITY of them above it, from an evenly strided sample (deterministic). */
    static float tau(float[] x, boolean[] skip) {
        int step = Math.max(1, x.length / SAMPLE);
        float[] s = new float[(x.length + step - 1) / step];
        int j = 0;
        for (int i = 0; i < x.length; i += step) if (!skip[i]) s[j++] = Math.abs(x[i]);
        if (j == 0) return 0;
        s = Arrays.copyOf(s, j);
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(s.length * (1 - DENSITY)))];
    }

    static byte[] floats(float[] x) {
        ByteBuffer b = header('f', x.length, 4 * x.length);
        for (float v : x) b.putFloat(v);
        return b.array();
    }
}
