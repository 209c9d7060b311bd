package io.nnzip.codec.format;

import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.NnzipException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads a .nnz stream unit by unit, checking as it goes: magic, version range ({@link NnzFormat#VERSION_MIN} to
 * {@link NnzFormat#VERSION_MAX}), each unit's CRC32C, and at the footer the unit count and the file CRC32C.
 * Lengths are never trusted for allocation: payloads are read in bounded chunks, so a forged length ends in
 * "truncated", not in an out-of-memory error. Failures are {@link NnzFormatException}s that say which check failed.
 */
public final class NnzReader {
    /** One unit: its position in the stream, type, file offset and payload. */
    public record Unit(int index, int type, long offset, byte[] payload) {
        public String describe() { return NnzFormat.unitName(type) + " unit #" + index + " at offset " + offset; }
    }

    /** Payloads are read in chunks of this many bytes, so a forged length cannot allocate more than the stream holds. */
    public static final int CHUNK = 1 << 20;
    private final InputStream in;
    private final String name;
    private final CRC32C fileCrc = new CRC32C();
    private long offset;
    private final int version;
    private final StreamHeader header = new StreamHeader();
    private int units;
    private boolean done;

    public NnzReader(byte[] data, String name) { this(new ByteArrayInputStream(data), name); }

    public NnzReader(InputStream in, String name) {
        this.in = in;
        this.name = name;
        byte[] magic = new byte[4];
        int got = readUpTo(magic);
        if (got < 4 || !Arrays.equals(magic, NnzFormat.MAGIC))
            throw new NnzFormatException(NnzFormatException.Kind.NOT_NNZ, null, name + ": not an .nnz file (bad magic)", null);
        version = u8() | u8() << 8;
        if (version < NnzFormat.VERSION_MIN)
            throw new NnzFormatException(NnzFormatException.Kind.TOO_OLD, null, name + ": .nnz format version " + version
                    + " is too old (this reader accepts " + NnzFormat.VERSION_MIN + ".." + NnzFormat.VERSION_MAX + ")", null);
        if (version > NnzFormat.VERSION_MAX)
            throw new NnzFormatException(NnzFormatException.Kind.TOO_NEW, null, name + ": .nnz format version " + version
                    + " is too new (this reader accepts " + NnzFormat.VERSION_MIN + ".." + NnzFormat.VERSION_MAX + "; upgrade nnzip)", null);
        long len = uvar("header length");
        if (len < 0 || len > (1 << 24)) throw corrupt("header length " + Long.toUnsignedString(len) + " is implausible", null);
        byte[] body = readFully((int) len, "header");
        long expect = fileCrc.getValue();
        int crc = u8() | u8() << 8 | u8() << 16 | u8() << 24;
        if ((crc & 0xFFFFFFFFL) != expect) throw corrupt("header checksum mismatch", null);
        try {
            header.syntax(new SyntaxReader(new ByteSource(body, name + " header")));
        } catch (NnzipException e) {
            throw corrupt("malformed header: " + e.getMessage(), e);
        }
    }

    public int version() { return version; }

    public StreamHeader header() { return header; }

    /** The next unit, or null after the footer has been read and verified. */
    public Unit next() {
        if (done) return null;
        long at = offset;
        int type = u8();
        if (type == 0) {
            long count = uvar("footer unit count");
            long expect = fileCrc.getValue();
            int crc = u8() | u8() << 8 | u8() << 16 | u8() << 24;
            if ((crc & 0xFFFFFFFFL) != expect) throw corrupt("file checksum mismatch", null);
            if (count != units) throw corrupt("footer counts " + count + " units, stream has " + units, null);
            if (readByteOrEof() >= 0) throw corrupt("trailing bytes after the footer", null);
            done = true;
            return null;
        }
        CRC32C unitCrc = new CRC32C();
        long len = uvar("unit length");
        // a 10-byte varint can come out negative; as unsigned it is then past any limit
        if (len < 0 || len > NnzFormat.MAX_UNIT) throw corrupt("unit at offset " + at + " declares " + Long.toUnsignedString(len) + " bytes", null);
        byte[] payload = readFully((int) len, NnzFormat.unitName(type) + " unit at offset " + at);
        int crc = u8() | u8() << 8 | u8() << 16 | u8() << 24;
        byte[] head = new byte[11];
        int h = 0;
        head[h++] = (byte) type;
        for (long v = len; ; ) {
            if ((v & ~0x7FL) == 0) {
                head[h++] = (byte) v;
                break;
            }
            head[h++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        unitCrc.update(head, 0, h);
        unitCrc.update(payload);
        if ((crc & 0xFFFFFFFFL) != unitCrc.getValue())
            throw corrupt("checksum mismatch in " + NnzFormat.unitName(type) + " unit #" + units + " at offset " + at, null);
        return new Unit(units++, type, at, payload);
    }

    /** Wraps a failure to decode a unit whose checksum passed: the data is intact, so the decoder is at fault. */
    public NnzFormatException undecodable(Unit u, Throwable e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        return new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, name + ": cannot decode " + u.describe() + ": "
                + msg + " (its checksum passed, so the data is intact: a decoder bug or an unsupported producer)", e);
    }

    private NnzFormatException corrupt(String what, Throwable cause) {
        return new NnzFormatException(NnzFormatException.Kind.CORRUPT, false, name + ": corrupt .nnz stream: " + what, cause);
    }

    private int readByteOrEof() {
        try {
            return in.read();
        } catch (IOException e) {
            throw new NnzipException(name + ": read failed: " + e.getMessage());
        }
    }

    private int readUpTo(byte[] b) {
        try {
            int n = in.readNBytes(b, 0, b.length);
            fileCrc.update(b, 0, n);
            offset += n;
            return n;
        } catch (IOException e) {
            throw new NnzipException(name + ": read failed: " + e.getMessage());
        }
    }

    private int u8() {
        int b = readByteOrEof();
        if (b < 0) throw corrupt("truncated at offset " + offset, null);
        fileCrc.update(b);
        offset++;
        return b;
    }

    private long uvar(String what) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw corrupt("malformed varint (" + what + ") at offset " + offset, null);
    }

    // Reads n bytes in chunks, so a forged n costs at most what the stream actually holds.
    private byte[] readFully(int n, String what) {
        byte[] out = new byte[Math.min(n, CHUNK)];
        int have = 0;
        try {
            while (have < n) {
                if (have == out.length) out = Arrays.copyOf(out, (int) Math.min(n, (long) out.length * 2));
                int r = in.read(out, have, out.length - have);
                if (r < 0) throw new EOFException();
                have += r;
            }
        } catch (EOFException e) {
            throw corrupt(what + " is truncated (" + have + " of " + n + " bytes)", null);
        } catch (IOException e) {
            throw new NnzipException(name + ": read failed: " + e.getMessage());
        }
        fileCrc.update(out, 0, n);
        offset += n;
        return out;
    }
}
