package io.nnzip.codec;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.TensorProtos;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;

/**
 * The content hash that names a base model: SHA-256 over its initializers sorted by name (name, ONNX type, dims,
 * raw little-endian data). Weights are what a difference is applied to, so they are what must match.
 */
public final class ModelHash {
    private ModelHash() {}

    public static byte[] of(Model m) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (var e : new TreeMap<>(m.graph().initializers()).entrySet()) {
            Tensor t = e.getValue();
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update((byte) t.dtype().onnx);
            for (int d : t.shape()) md.update(java.nio.ByteBuffer.allocate(8).putLong(d).array());
            if (t.dtype() != io.nnzip.ir.DType.STRING) md.update(TensorProtos.toRaw(t));
            else for (String s : t.strings()) md.update(s.getBytes(StandardCharsets.UTF_8));
        }
        return md.digest();
    }

    public static String hex(byte[] h) { return HexFormat.of().formatHex(h); }
}
