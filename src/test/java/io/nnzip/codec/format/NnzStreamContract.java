package io.nnzip.codec.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.NnzipException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The contract every kind of .nnz stream must honour. Subclasses supply a valid stream and a full decode of it;
 * the suite checks clean decoding, wrong magic, versions outside the accepted range, truncation at every length,
 * flipped bytes, trailing garbage, and unit payloads at the reader's buffer boundaries.
 */
public abstract class NnzStreamContract {
    /** A small valid stream of this kind. */
    protected abstract byte[] validStream();

    /** Decodes {@code data} completely (throws on any problem). */
    protected abstract void decode(byte[] data);

    private static NnzFormatException.Kind kindOf(Runnable r) {
        NnzipException e = assertThrows(NnzipException.class, r::run);
        assertTrue(e instanceof NnzFormatException, "expected a format error, got " + e);
        return ((NnzFormatException) e).kind();
    }

    @Test
    void validStreamDecodes() { decode(validStream()); }

    @Test
    void wrongMagicIsNotNnz() {
        byte[] b = validStream();
        b[1] = 'X';
        assertEquals(NnzFormatException.Kind.NOT_NNZ, kindOf(() -> decode(b)));
        assertEquals(NnzFormatException.Kind.NOT_NNZ, kindOf(() -> decode(new byte[0])));
    }

    @Test
    void versionsOutsideTheRangeAreTooOldOrTooNew() {
        byte[] old = validStream();
        old[4] = (byte) (NnzFormat.VERSION_MIN - 1);
        old[5] = 0;
        assertEquals(NnzFormatException.Kind.TOO_OLD, kindOf(() -> decode(old)));
        byte[] fresh = validStream();
        fresh[4] = (byte) (NnzFormat.VERSION_MAX + 1);
        assertEquals(NnzFormatException.Kind.TOO_NEW, kindOf(() -> decode(fresh)));
    }

    @Test
    void everyTruncationIsCorrupt() {
        byte[] b = validStream();
        int step = Math.max(1, b.length / 400);
        for (int cut = 6; cut < b.length; cut += cut < 64 || b.length - cut < 64 ? 1 : step) {
            byte[] t = Arrays.copyOf(b, cut);
            NnzFormatException.Kind k = kindOf(() -> decode(t));
            assertEquals(NnzFormatException.Kind.CORRUPT, k, "cut at " + cut);
        }
    }

    @Test
    void flippedBytesAfterTheVersionAreCorruptAndSaySoByChecksum() {
        byte[] b = validStream();
        Random r = new Random(1);
        for (int trial = 0; trial < 300; trial++) {
            byte[] t = b.clone();
            int pos = 6 + r.nextInt(t.length - 6);
            t[pos] ^= (byte) (1 + r.nextInt(255));
            NnzipException e = assertThrows(NnzipException.class, () -> decode(t), "flip at " + pos);
            assertTrue(e instanceof NnzFormatException f && f.kind() == NnzFormatException.Kind.CORRUPT && Boolean.FALSE.equals(f.checksumPassed()),
                    "flip at " + pos + ": " + e);
        }
    }

    @Test
    void trailingBytesAreCorrupt() {
        byte[] b = validStream();
        byte[] t = Arrays.copyOf(b, b.length + 1);
        assertEquals(NnzFormatException.Kind.CORRUPT, kindOf(() -> decode(t)));
    }

    @Test
    void unitPayloadsAtBufferBoundariesRoundTrip() {
        int[] sizes = {0, 1, 255, 256, 257, NnzReader.CHUNK - 1, NnzReader.CHUNK, NnzReader.CHUNK + 1};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NnzWriter w = new NnzWriter(out, new StreamHeader(NnzFormat.KIND_MODEL, "test", "", null));
        Random r = new Random(2);
        byte[][] payloads = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            payloads[i] = new byte[sizes[i]];
            r.nextBytes(payloads[i]);
            w.unit(200, payloads[i]);
        }
        w.finish();
        NnzReader rd = new NnzReader(out.toByteArray(), "boundaries");
        for (byte[] p : payloads) {
            NnzReader.Unit u = rd.next();
            assertEquals(200, u.type());
            assertArrayEquals(p, u.payload());
        }
        assertNull(rd.next());
    }
}
