package io.nnzip.util;

import io.nnzip.ir.NnzipException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompression of untrusted input with two caps: what the container declares (the relative cap: never inflate
 * past it) and an absolute cap for any one decompressed object, so a bomb whose declared size matches its content
 * is refused before it is inflated. Output grows as data arrives instead of being allocated from the declared size.
 * The absolute cap is {@value #DEFAULT_MAX} bytes unless the system property {@code nnzip.max-inflated} or the
 * environment variable {@code NNZIP_MAX_INFLATED} sets another number of bytes.
 */
public final class BoundedInflate {
    public static final long DEFAULT_MAX = 512L << 20;
    private static final int STEP = 1 << 16;

    private BoundedInflate() {}

    /** The absolute cap in bytes. */
    public static long maxBytes() {
        String v = System.getProperty("nnzip.max-inflated", System.getenv("NNZIP_MAX_INFLATED"));
        if (v == null || v.isBlank()) return DEFAULT_MAX;
        try {
            long x = Long.parseLong(v.trim());
            if (x > 0) return Math.min(x, Integer.MAX_VALUE - 64);
        } catch (NumberFormatException ignored) { /* fall through */ }
        throw new NnzipException("nnzip.max-inflated / NNZIP_MAX_INFLATED must be a positive number of bytes, not '" + v + "'");
    }

    /** Refuses a declared size past the absolute cap, before anything is inflated. */
    public static void checkDeclared(long declared, String where) {
        long max = maxBytes();
        if (declared > max)
            throw new NnzipException(where + ": declares " + declared + " decompressed bytes, more than the limit of " + max
                    + " (raise it with NNZIP_MAX_INFLATED if the file is trusted)");
    }

    /** Inflates zlib data that must come to exactly {@code declared} bytes. */
    public static byte[] inflate(byte[] compressed, long declared, String where) {
        if (declared < 0) throw new NnzipException(where + ": negative declared size " + declared);
        checkDeclared(declared, where);
        Inflater inf = new Inflater();
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(declared, STEP));
        byte[] buf = new byte[STEP];
        try {
            inf.setInput(compressed);
            while (!inf.finished()) {
                int want = (int) Math.min(buf.length, declared - out.size() + 1); // one byte past reveals an overrun
                int r = inf.inflate(buf, 0, want);
                if (r == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                out.write(buf, 0, r);
                if (out.size() > declared) throw new NnzipException(where + ": compressed data inflates past its declared " + declared + " bytes");
            }
            if (!inf.finished() || out.size() != declared)
                throw new NnzipException(where + ": compressed data does not match its declared size (" + declared + " bytes)");
        } catch (DataFormatException e) {
            throw new NnzipException(where + ": corrupt compressed data (" + e.getMessage() + ")");
        } finally {
            inf.end();
        }
        return out.toByteArray();
    }

    /**
     * Reads a decompressing stream to its end, refusing it once it passes {@code declared} bytes (when known, i.e.
     * {@code >= 0}) or the absolute cap.
     */
    public static byte[] readAll(InputStream in, long declared, String where) throws IOException {
        long max = maxBytes();
        if (declared >= 0) checkDeclared(declared, where);
        long limit = declared >= 0 ? declared : max;
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(limit, 0), STEP));
        byte[] buf = new byte[STEP];
        for (int r; (r = in.read(buf, 0, (int) Math.min(buf.length, limit - out.size() + 1))) > 0; ) {
            out.write(buf, 0, r);
            if (out.size() > limit)
                throw new NnzipException(where + (declared >= 0 ? ": inflates past its declared " + declared + " bytes"
                        : ": decompresses to more than the limit of " + max + " bytes (raise it with NNZIP_MAX_INFLATED if the file is trusted)"));
        }
        return out.toByteArray();
    }
}
