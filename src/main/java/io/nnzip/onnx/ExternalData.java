package io.nnzip.onnx;

import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.proto.Onnx.StringStringEntryProto;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import io.nnzip.util.Printable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An initializer's external data, confined to the model's own folder as ONNX's checker requires: the location is
 * relative, has no {@code ..} segment, and its real path (symlinks resolved) lies inside the folder; offset and
 * length are non-negative and inside the file. A model is untrusted input, so every refusal names only the
 * location the model itself wrote, never whether or how large anything outside the folder is.
 */
final class ExternalData {
    private ExternalData() {}

    static ByteBuffer read(TensorProto p, Path baseDir, long need) {
        String where = "tensor '" + p.getName() + "'";
        String location = null;
        long offset = 0, length = need;
        for (StringStringEntryProto e : p.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(where, "offset", e.getValue());
                case "length" -> length = number(where, "length", e.getValue());
                default -> { }
            }
        }
        if (location == null) throw new NnzipException(where + ": external data without a location");
        if (baseDir == null) throw new NnzipException(where + ": external data '" + Printable.of(location) + "' but the model was not read from a file");
        if (length != need) throw new NnzipException(where + ": external data length " + length + " but the tensor needs " + need + " bytes");
        Path file = confined(where, location, baseDir);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size || length > size - offset)
                throw new NnzipException(where + ": external data file '" + Printable.of(location) + "' is too short (" + size + " bytes; the tensor needs " + length + " at offset " + offset + ")");
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
            while (b.hasRemaining()) if (ch.read(b, offset + b.position()) < 0) throw new IOException("file shrank while reading");
            return b.flip();
        } catch (IOException e) {
            throw new NnzipException(where + ": cannot read external data '" + Printable.of(location) + "' (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static long number(String where, String key, String v) {
        long x;
        try {
            x = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new NnzipException(where + ": external data " + key + " '" + Printable.of(v) + "' is not a number");
        }
        if (x < 0) throw new NnzipException(where + ": external data " + key + " " + x + " is negative");
        return x;
    }

    /** The file {@code location} names, or an error that does not reveal anything outside {@code baseDir}. */
    static Path confined(String where, String location, Path baseDir) {
        String shown = Printable.of(location);
        if (location.isEmpty() || location.length() > 4096 || location.indexOf('\0') >= 0)
            throw new NnzipException(where + ": external data location '" + shown + "' is not a valid file name");
        if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z]:.*"))
            throw new NnzipException(where + ": external data location '" + shown + "' is absolute; it must be relative to the model's folder");
        for (String seg : location.split("[/\\\\]"))
            if (seg.equals(".."))
                throw new NnzipException(where + ": external data location '" + shown + "' leaves the model's folder");
        String outside = where + ": external data location '" + shown + "' is not a regular file inside the model's folder";
        Path file;
        try {
            Path base = baseDir.toRealPath();
            Path lexical = base.resolve(location).normalize();
            if (!lexical.startsWith(base) || lexical.equals(base)) throw new NnzipException(outside);
            // Walk the path one component at a time, so that a symlinked folder on the way is judged by where it
            // leads before anything beyond it is looked at: "missing" is only ever said about the model's own folder.
            Path at = base;
            for (Path part : base.relativize(lexical)) {
                at = at.resolve(part);
                if (Files.isSymbolicLink(at) && !at.toRealPath().startsWith(base)) throw new NnzipException(outside);
                if (!Files.exists(at)) throw new NnzipException(where + ": external data file '" + shown + "' is missing from the model's folder");
            }
            file = lexical.toRealPath();
            if (!file.startsWith(base) || !Files.isRegularFile(file)) throw new NnzipException(outside);
        } catch (IOException | RuntimeException e) {
            if (e instanceof NnzipException n) throw n;
            throw new NnzipException(outside);
        }
        return file;
    }
}
