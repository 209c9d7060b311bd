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
 *   <li>threshold: only entries with |x| ≥ τ travel (Strom 2015), τ chosen per message so that about the codec's
 *       density of the entries pass (DL4J's adaptive threshold). Each entry carries its value, not just ±τ (as Deep
 *       Gradient Compression sends its top-k): a sent entry takes everything it held, so the residual drains at the
 *       rate the update fills it, where ±τ left a heavy tail in the residual round after round. An entry is the gap to
 *       the previous index with the sign (a LEB128 varint, one byte while the gap is below 64) and one byte of
 *       log-magnitude, |x| ≈ τ·2^(q/16) (±2.2 %, the rest stays in the residual): ≈ 2 bytes where index·2 + sign took
 *       4, so the same bytes carry twice the entries. Entries marked exact (state no optimizer steps: BatchNormalization running statistics, QAT ranges) travel as float32
 *       and keep no residual: their change is a distance to a target (a running average's pull toward the batch
 *       statistics), recomputed every round from the last state all copies share, so a held-back residual would be
 *       counted again each round and overshoot when sent. They are a few hundred values against the model's 10⁵.</li>
 *   <li>float: float32 as is (the reference the exchange ratio is measured against).</li>
 * </ul>
 */
public final class UpdateCodec implements java.io.Serializable {
    public static final int BLOCK = 256;
    /** The default share of entries a threshold message carries (see {@link #density(int)} for data-parallel runs). */
    public static final double DENSITY = 0.01;
    /** Log-magnitude levels per octave above τ. */
    private static final int LEVELS = 16;
    private static final int SAMPLE = 16384;

    private final String kind;
    private final float[] residual;
    private final int[] exactRanges; // start, end pairs of the entries threshold messages carry exactly
    private final double density;

    public UpdateCodec(String kind, int size) {
        this(kind, size, null);
    }

    /** As {@link #UpdateCodec(String, int)}; threshold messages carry the entries {@code exact} marks as float32. */
    public UpdateCodec(String kind, int size, boolean[] exact) {
        this(kind, size, exact, DENSITY);
    }

    /** As {@link #UpdateCodec(String, int, boolean[])}; threshold messages carry about {@code density} of the entries. */
    public UpdateCodec(String kind, int size, boolean[] exact, double density) {
        if (!(density > 0 && density <= 1)) throw new IllegalArgumentException("density must be in (0, 1], got " + density);
        if (!kind.equals("int8") && !kind.equals("threshold") && !kind.equals("float"))
            throw new NnzipException("--exchange must be int8, threshold or float, got '" + kind + "'");
        if (exact != null && exact.length != size) throw new IllegalArgumentException("exact mask has " + exact.length + " entries, the update " + size);
        this.kind = kind;
        this.residual = new float[size];
        this.exactRanges = ranges(exact);
        this.density = density;
    }

    /**
     * The threshold density for forwarded exchange among {@code workers}: each worker sends d·n entries up and every
     * worker receives all of them, (1 + workers)/2 · d · (2 bytes / 4) of float32's up-and-down bytes. The density keeps
     * that at 0.04, leaving room under the 0.05× bar for the exact entries, headers and long gaps.
     */
    public static double density(int workers) {
        return Math.min(1, 0.04 / ((1 + workers) / 2.0 * 0.5));
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
            case "threshold" -> threshold(residual, exactRanges, density);
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
                float tau = b.getFloat();
                float[] level = levels(tau * scale);
                int i = -1;
                for (int c = b.getInt(); c > 0; c--) {
                    int v = varint(b);
                    i += (v >>> 1) + 1;
                    float m = level[b.get() & 0xff];
                    into[i] += (v & 1) == 0 ? m : -m;
                }
                while (b.hasRemaining()) {
                    int start = b.getInt(), end = b.getInt();
                    for (int k = start; k < end; k++) into[k] += scale * b.getFloat();
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

    /** τ, the count and the entries (gap·2 + sign as a varint, a log-magnitude byte), then per exact range its start, end and float32 values. */
    static byte[] threshold(float[] x, int[] exact, double density) {
        boolean[] skip = new boolean[x.length];
        int exactCount = 0;
        for (int r = 0; r < exact.length; r += 2) {
            Arrays.fill(skip, exact[r], exact[r + 1], true);
            exactCount += exact[r + 1] - exact[r];
        }
        float tau = tau(x, skip, density);
        int count = 0, entryBytes = 0;
        for (int i = 0, prev = -1; tau > 0 && i < x.length; i++)
            if (!skip[i] && Math.abs(x[i]) >= tau) {
                count++;
                entryBytes += varintBytes(entry(i, prev, x[i])) + 1;
                prev = i;
            }
        ByteBuffer b = header('t', x.length, 8 + entryBytes + 4 * exact.length + 4 * exactCount);
        b.putFloat(tau).putInt(count);
        for (int i = 0, prev = -1; tau > 0 && i < x.length; i++)
            if (!skip[i] && Math.abs(x[i]) >= tau) {
                putVarint(b, entry(i, prev, x[i]));
                b.put((byte) level(Math.abs(x[i]) / tau));
                prev = i;
            }
        for (int r = 0; r < exact.length; r += 2) {
            b.putInt(exact[r]).putInt(exact[r + 1]);
            for (int i = exact[r]; i < exact[r + 1]; i++) b.putFloat(x[i]);
        }
        return b.array();
    }

    private static int entry(int i, int prev, float v) {
        return (i - prev - 1) << 1 | (v < 0 ? 1 : 0);
    }

    /** The nearest of the 256 log levels to {@code ratio} (≥ 1): q with τ·2^(q/LEVELS) ≈ |x|. */
    static int level(float ratio) {
        long q = Math.round(Math.log(ratio) / Math.log(2) * LEVELS);
        return (int) Math.max(0, Math.min(255, q));
    }

    /** The 256 magnitudes a level byte decodes to (float arithmetic the encoder's residual uses too: decode is the reference). */
    private static float[] levels(float tau) {
        float[] out = new float[256];
        for (int q = 0; q < 256; q++) out[q] = (float) (tau * Math.pow(2, q / (double) LEVELS));
        return out;
    }

    private static int varintBytes(int v) {
        int n = 1;
        while ((v >>>= 7) != 0) n++;
        return n;
    }

    private static void putVarint(ByteBuffer b, int v) {
        while ((v & ~0x7f) != 0) {
            b.put((byte) (v & 0x7f | 0x80));
            v >>>= 7;
        }
        b.put((byte) v);
    }

    private static int varint(ByteBuffer b) {
        int v = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b.get();
            v |= (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
    }

    /** The |x| quantile over the entries {@code skip} leaves, leaving about {@code density} of them above it, from an evenly strided sample (deterministic). */
    static float tau(float[] x, boolean[] skip, double density) {
        int step = Math.max(1, x.length / SAMPLE);
        float[] s = new float[(x.length + step - 1) / step];
        int j = 0;
        for (int i = 0; i < x.length; i += step) if (!skip[i]) s[j++] = Math.abs(x[i]);
        if (j == 0) return 0;
        s = Arrays.copyOf(s, j);
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(s.length * (1 - density)))];
    }

    static byte[] floats(float[] x) {
        ByteBuffer b = header('f', x.length, 4 * x.length);
        for (float v : x) b.putFloat(v);
        return b.array();
    }
}
