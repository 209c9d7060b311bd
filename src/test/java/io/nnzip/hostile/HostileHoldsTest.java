package io.nnzip.hostile;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.codec.NnzCodec;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import io.nnzip.util.BoundedInflate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What already held before issue 20 and must keep holding, plus the parts of the fixes a corpus line cannot show. */
class HostileHoldsTest {
    @Test
    void theReadAuditSeesAReadOfTheSentinel(@TempDir Path tmp) throws Exception {
        // the golden test's audit is only worth something if JFR reports such a read at all
        Path sentinel = tmp.resolve("sentinel.bin");
        Files.writeString(sentinel, GoldenErrors.SENTINEL.repeat(128));
        Path jfr = tmp.resolve("r.jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.FileRead").withThreshold(Duration.ZERO);
            r.start();
            try (var in = new java.io.FileInputStream(sentinel.toFile())) {
                in.read(new byte[48]);
            }
            r.stop();
            r.dump(jfr);
        }
        assertTrue(RecordingFile.readAllEvents(jfr).stream().anyMatch(e -> sentinel.toString().equals(e.getString("path"))));
    }

    @Test
    void everyTruncationAndHeaderByteFlipOfAnNnzIsRejected() {
        byte[] nnz = HostileInputs.tinyNnz();
        for (int n = 0; n < nnz.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(nnz, n);
            assertThrows(NnzipException.class, () -> NnzCodec.decode(cut, "cut"), "truncated to " + n);
        }
        for (int i = 0; i < Math.min(nnz.length, 40); i++)
            for (int bit = 0; bit < 8; bit++) {
                byte[] f = nnz.clone();
                f[i] ^= (byte) (1 << bit);
                assertThrows(NnzipException.class, () -> NnzCodec.decode(f, "flipped"), "byte " + i + " bit " + bit);
            }
    }

    @Test
    void patchChecksTheBaseHash(@TempDir Path tmp) throws IOException {
        Model base = HostileInputs.tiny(), next = HostileInputs.tiny(), other = HostileInputs.tiny();
        next.graph().initializers().get("W").floats()[0] += 1;
        other.graph().initializers().get("W").floats()[1] -= 1;
        Path upd = tmp.resolve("u.nnz"), otherFile = tmp.resolve("other.onnx"), out = tmp.resolve("new.onnx");
        Files.write(upd, NnzCodec.diff(base, next, io.nnzip.codec.CodecOptions.losslessMode()));
        OnnxWriter.write(other, otherFile);
        GoldenErrors.Outcome o = GoldenErrors.run("patch", otherFile.toString(), upd.toString(), "-o", out.toString());
        assertNotEquals(0, o.code());
        assertTrue(o.err().contains("was made for base"), o.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aSingleFileWriteThatFailsLeavesTheOldFileAndNoTemporary(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("model.onnx");
        Files.writeString(f, "old");
        assertThrows(NnzipException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void aMultiFileWriteThatFailsLeavesNoneOfItsFiles(@TempDir Path tmp) {
        Map<Path, AtomicFiles.Writer> files = new java.util.LinkedHashMap<>();
        files.put(tmp.resolve("a.onnx"), out -> out.write(1));
        files.put(tmp.resolve("b.onnx"), out -> { throw new IOException("disk full"); });
        assertThrows(NnzipException.class, () -> AtomicFiles.writeAll(files));
        assertEquals(0, tmp.toFile().list().length);
    }

    @Test
    void unpackWritesNothingWhenALaterMemberIsBad(@TempDir Path tmp) throws IOException {
        Path b = tmp.resolve("b.nnz");
        Files.write(b, HostileInputs.bundle("first", "../escape"));
        Path into = Files.createDirectories(tmp.resolve("existing"));
        assertNotEquals(0, GoldenErrors.run("unpack", b.toString(), "-d", into.toString()).code());
        assertEquals(0, into.toFile().list().length);
        assertNotEquals(0, GoldenErrors.run("unpack", b.toString(), "-d", tmp.resolve("fresh").toString()).code());
        assertFalse(Files.exists(tmp.resolve("fresh")));
        assertFalse(Files.exists(tmp.resolve("escape.onnx")));
        // and a good bundle unpacks, both members, into a folder it creates
        Files.write(b, HostileInputs.bundle("first", "second"));
        assertEquals(0, GoldenErrors.run("unpack", b.toString(), "-d", tmp.resolve("fresh").toString()).code());
        assertTrue(Files.exists(tmp.resolve("fresh/first.onnx")) && Files.exists(tmp.resolve("fresh/second.onnx")));
    }

    @Test
    void aGibibyteBombIsRefusedBeforeInflating() {
        byte[] compressed = new byte[1_100_000]; // enough to pass the 1032:1 plausibility check for 1 GiB
        long t0 = System.nanoTime();
        NnzipException e = assertThrows(NnzipException.class, () -> BoundedInflate.inflate(compressed, 1L << 30, "topology unit"));
        assertTrue(e.getMessage().contains("more than the limit"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L); // no inflation happened: a generous bound, not a timing claim
    }

    @Test
    void anUndeclaredExpansionStopsAtTheDeclaredSizeAndTheCapIsConfigurable() throws IOException {
        byte[] zip = HostileInputs.zipLying("x.npy", 4 << 20, 1000);
        try (var z = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            var entry = z.getNextEntry();
            NnzipException e = assertThrows(NnzipException.class, () -> BoundedInflate.readAll(z, entry.getSize(), "x.npz"));
            assertTrue(e.getMessage().contains("declared 1000"), e.getMessage());
        }
        System.setProperty("nnzip.max-inflated", "4096");
        try {
            assertThrows(NnzipException.class, () -> BoundedInflate.readAll(new java.io.ByteArrayInputStream(new byte[5000]), -1, "s"));
            assertEquals(100, BoundedInflate.readAll(new java.io.ByteArrayInputStream(new byte[100]), -1, "s").length);
        } finally {
            System.clearProperty("nnzip.max-inflated");
        }
    }

    @Test
    void aPickleIsNeverRun(@TempDir Path tmp) {
        assertFalse(Files.exists(Path.of("/tmp/nnzip-pwned")), "left over from something else; remove it and rerun");
        Path x = tmp.resolve("x.npy");
        assertThrows(NnzipException.class, () -> {
            Files.write(x, HostileInputs.npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", HostileInputs.pickle()));
            io.nnzip.numpy.Npy.read(x);
        });
        assertFalse(Files.exists(Path.of("/tmp/nnzip-pwned")));
    }
}
