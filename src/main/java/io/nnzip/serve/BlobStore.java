package io.nnzip.serve;

import io.nnzip.ir.NnzipException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Immutable blobs named by the SHA-256 of their bytes, under {@code blobs/ab/abcd…}. A blob is written to
 * {@code tmp/}, forced to disk, and only then renamed into place, so a reader (or a restart after kill -9) sees a
 * blob whole or not at all. Leftover temporaries are removed when the store opens.
 */
public final class BlobStore {
    private final Path root, blobs, tmp;

    public BlobStore(Path root) {
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.tmp = root.resolve("tmp");
        try {
            Files.createDirectories(blobs);
            Files.createDirectories(tmp);
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path p : (Iterable<Path>) s::iterator) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new NnzipException("cannot open repository " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() { return root; }

    /** Where the blob named {@code hash} lives (whether or not it exists). */
    public Path path(String hash) {
        if (!hash.matches("[0-9a-f]{64}")) throw new NnzipException("not a blob name: " + hash);
        return blobs.resolve(hash.substring(0, 2)).resolve(hash);
    }

    public boolean has(String hash) { return Files.isRegularFile(path(hash)); }

    public byte[] read(String hash) {
        try {
            return Files.readAllBytes(path(hash));
        } catch (IOException e) {
            throw new NnzipException("blob " + hash + " is missing from " + blobs + ": " + e.getMessage(), e);
        }
    }

    public long size(String hash) {
        try {
            return Files.size(path(hash));
        } catch (IOException e) {
            throw new NnzipException("blob " + hash + " is missing from " + blobs, e);
        }
    }

    public String put(byte[] bytes) { return put(out -> out.write(bytes)); }

    public String put(InputStream in) { return put(in::transferTo); }

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Stores what {@code w} writes; returns its hash. Storing the same bytes twice keeps one copy. */
    public String put(Writer w) {
        Path t = null;
        try {
            t = Files.createTempFile(tmp, "blob", ".tmp");
            MessageDigest md = sha256();
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE);
                 OutputStream out = new DigestOutputStream(new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16), md)) {
                w.write(out);
                out.flush();
                ch.force(true);
            }
            String hash = HexFormat.of().formatHex(md.digest());
            Path dst = path(hash);
            if (Files.exists(dst)) return hash;
            Files.createDirectories(dst.getParent());
            move(t, dst);
            t = null;
            syncDir(dst.getParent());
            return hash;
        } catch (IOException e) {
            throw new NnzipException("cannot store a blob in " + blobs + ": " + e.getMessage(), e);
        } finally {
            if (t != null) try { Files.deleteIfExists(t); } catch (IOException ignored) { /* swept on next open */ }
        }
    }

    /** Replaces {@code target} (a small metadata file under the root) atomically and durably. */
    public void replace(Path target, byte[] bytes) {
        Path t = null;
        try {
            t = Files.createTempFile(tmp, "meta", ".tmp");
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            move(t, target);
            t = null;
            syncDir(target.getParent());
        } catch (IOException e) {
            throw new NnzipException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (t != null) try { Files.deleteIfExists(t); } catch (IOException ignored) { /* swept on next open */ }
        }
    }

    /** Every blob file present, for consistency checks. */
    public java.util.List<Path> list() {
        try (Stream<Path> s = Files.walk(blobs)) {
            return s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new NnzipException("cannot list " + blobs + ": " + e.getMessage(), e);
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] b) { return HexFormat.of().formatHex(sha256().digest(b)); }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // The rename itself must reach the disk, or a power cut could lose a blob the index already names.
    private static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some file systems do not allow opening a directory; the rename is still atomic there
        }
    }
}
