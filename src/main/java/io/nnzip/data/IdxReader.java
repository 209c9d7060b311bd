package io.nnzip.data;

import io.nnzip.ir.NnzipException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed).
 * <pre>
 * file   --> 0x00 0x00 type u8 rank u8, dim_0 .. dim_{rank-1} (u32 big-endian each), data (big-endian)
 * type   --> 0x08 unsigned byte (the only type these datasets use)
 * images --> rank 3 (N, rows, cols); labels --> rank 1 (N)
 * </pre>
 */
public final class IdxReader {
    private IdxReader() {}

    /** Reads an images file and its labels file into a one-channel dataset with pixels scaled to [0,1]. */
    public static Dataset read(String name, Path images, Path labels, int classes) {
        int[][] dims = new int[1][];
        byte[] px = readUbyte(images, dims);
        if (dims[0].length != 3) throw new NnzipException(images + ": expected a rank-3 image array, got rank " + dims[0].length);
        int[][] ldims = new int[1][];
        byte[] lb = readUbyte(labels, ldims);
        if (ldims[0].length != 1 || ldims[0][0] != dims[0][0])
            throw new NnzipException(labels + ": " + ldims[0][0] + " labels for " + dims[0][0] + " images in " + images);
        float[] pixels = new float[px.length];
        for (int i = 0; i < px.length; i++) pixels[i] = (px[i] & 0xFF) / 255f;
        int[] labelInts = new int[lb.length];
        for (int i = 0; i < lb.length; i++) labelInts[i] = lb[i] & 0xFF;
        return new Dataset(name, pixels, labelInts, 1, dims[0][1], dims[0][2], classes);
    }

    static byte[] readUbyte(Path file, int[][] dimsOut) {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(
                     file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16))) {
            int magic = in.readInt();
            if ((magic >>> 16) != 0) throw new NnzipException(file + ": not an IDX file (bad magic " + Integer.toHexString(magic) + ")");
            int type = (magic >>> 8) & 0xFF, rank = magic & 0xFF;
            if (type != 0x08) throw new NnzipException(file + ": IDX element type 0x" + Integer.toHexString(type) + " is not supported (only unsigned bytes)");
            int[] dims = new int[rank];
            long n = 1;
            for (int i = 0; i < rank; i++) n *= dims[i] = in.readInt();
            if (n > Integer.MAX_VALUE) throw new NnzipException(file + ": too large");
            byte[] data = new byte[(int) n];
            in.readFully(data);
            dimsOut[0] = dims;
            return data;
        } catch (NoSuchFileException e) {
            throw new NnzipException("dataset file not found: " + file);
        } catch (java.io.EOFException e) {
            throw new NnzipException(file + ": truncated IDX file");
        } catch (IOException e) {
            throw new NnzipException(file + ": " + e.getMessage());
        }
    }
}
