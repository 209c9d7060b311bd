package io.nnzip.util;

import io.nnzip.ir.NnzipException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file through a temporary sibling and a rename, so a failure never leaves a half-written file. The
 * target's folder must exist: a typo in {@code -o} should not silently grow a directory tree.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        requireFolder(target);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                writer.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new NnzipException("cannot write " + target + ": " + why(e), e);
        } finally {
            if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
        }
    }

    public static void write(Path target, byte[] bytes) { write(target, out -> out.write(bytes)); }

    /** Fails with a one-line reason naming the target when its folder is missing, not a folder, or not writable. */
    public static void requireFolder(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null) return;
        if (Files.isDirectory(target)) throw new NnzipException("cannot write " + target + ": it is a folder");
        if (!Files.exists(dir)) throw new NnzipException("cannot write " + target + ": no such folder " + dir + " (create it first)");
        if (!Files.isDirectory(dir)) throw new NnzipException("cannot write " + target + ": " + dir + " is not a folder");
        if (!Files.isWritable(dir)) {
            String reason = readOnlyStore(dir) ? "read-only file system" : "permission denied";
            throw new NnzipException("cannot write " + target + ": " + reason + " (folder " + dir + ")");
        }
        // permission bits do not bind root, and some file systems refuse files anyway: try, before the real work
        try {
            Files.delete(Files.createTempFile(dir, ".nnzip-probe", ".tmp"));
        } catch (IOException e) {
            throw new NnzipException("cannot write " + target + ": " + why(e) + " (folder " + dir + ")");
        }
    }

    private static boolean readOnlyStore(Path dir) {
        try {
            return Files.getFileStore(dir).isReadOnly();
        } catch (IOException e) {
            return false;
        }
    }

    /** The reason without the temporary file's name, which means nothing to the user. */
    static String why(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /**
     * Writes several files so that a failure leaves none of them: every file goes to a temporary sibling first, and
     * only when all are complete are they renamed into place (the folders must exist).
     */
    public static void writeAll(java.util.Map<Path, Writer> files) {
        java.util.Map<Path, Path> staged = new java.util.LinkedHashMap<>();
        Path current = null;
        try {
            for (java.util.Map.Entry<Path, Writer> e : files.entrySet()) {
                current = e.getKey();
                Path abs = current.toAbsolutePath();
                Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
                staged.put(abs, tmp);
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    e.getValue().write(out);
                }
            }
            for (java.util.Map.Entry<Path, Path> e : staged.entrySet()) {
                current = e.getKey();
                move(e.getValue(), e.getKey());
            }
            staged.clear();
        } catch (IOException e) {
            throw new NnzipException("cannot write " + current + ": " + e.getMessage(), e);
        } finally {
            for (Path tmp : staged.values()) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
        }
    }

    /**
     * Fills a new folder {@code dir} (which must not exist) through {@code fill}, working in a temporary sibling that
     * is renamed to {@code dir} at the end, so a failure part-way leaves no folder and no files.
     */
    public static void writeFolder(Path dir, java.util.function.Consumer<Path> fill) {
        Path abs = dir.toAbsolutePath().normalize();
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
            fill.accept(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new NnzipException("cannot write " + dir + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a folder and everything in it, best effort (what is left is a temp folder's leftovers). */
    public static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) { /* best effort: a leftover hidden temp folder is harmless */ }
    }
}
