package io.nnzip.codec;

import io.nnzip.codec.syntax.SyntaxIO;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.BoundedInflate;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;

/**
 * Syntax of a TOPOLOGY unit: the model as an ONNX ModelProto with the data of its numeric initializers stripped
 * (string initializers and subgraph constants stay inside), deflate-compressed, plus the directory naming the
 * stripped initializers in their original order; TENSOR units refer to them by directory index.
 * <pre>
 * TopologyUnit --&gt; Mode:u8 (0 full, 1 same as the base's), [ProtoLength:uvar, Proto:blob (deflate),
 *                  Count:count, Name:str^Count]                      (only for mode 0)
 * </pre>
 */
public final class TopologyUnit {
    public int mode;
    public long protoLength;
    public byte[] proto = new byte[0];
    public List<String> directory = new ArrayList<>();

    public void syntax(SyntaxIO io) {
        mode = io.u8("mode", mode);
        if (mode == 1) return;
        if (mode != 0) throw new NnzipException("topology unit: unknown mode " + mode);
        protoLength = io.uvar("proto_length", protoLength);
        proto = io.blob("proto", proto);
        int n = io.count("directory_size", directory.size(), Integer.MAX_VALUE);
        if (io.reading()) {
            directory = new ArrayList<>();
            for (int i = 0; i < n; i++) directory.add(io.str("name", ""));
        } else for (String s : directory) io.str("name", s);
    }

    /** The topology of {@code m}: every initializer that tensor units will carry is stripped from the proto. */
    public static TopologyUnit of(Model m) {
        Model stripped = m.copy();
        TopologyUnit u = new TopologyUnit();
        stripped.graph().initializers().entrySet().removeIf(e -> {
            if (e.getValue().dtype() == DType.STRING) return false;
            u.directory.add(e.getKey());
            return true;
        });
        byte[] raw = OnnxWriter.toBytes(stripped);
        u.protoLength = raw.length;
        Deflater d = new Deflater(9);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 3 + 64);
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        u.proto = out.toByteArray();
        return u;
    }

    /** The model without its directory tensors (those come from tensor units). */
    public Model model() {
        if (mode != 0) throw new IllegalStateException("topology refers to the base");
        // Deflate expands at most ~1032:1; a larger claim is corruption, caught before inflating anything.
        if (protoLength > 1032L * proto.length + 1024)
            throw new NnzipException("topology unit: declared size " + protoLength + " is inconsistent with " + proto.length + " compressed bytes");
        byte[] raw = BoundedInflate.inflate(proto, protoLength, "topology unit");
        return OnnxReader.read(raw, null);
    }

    /** Puts decoded tensors back in directory order (after any string initializers the proto kept). */
    static void fill(Model m, List<String> directory, Map<String, Tensor> tensors) {
        Map<String, Tensor> kept = new LinkedHashMap<>(m.graph().initializers());
        m.graph().initializers().clear();
        for (String name : directory) {
            Tensor t = tensors.get(name);
            if (t == null) throw new NnzipException("tensor '" + name + "' is missing from the stream");
            m.graph().initializers().put(name, t);
        }
        m.graph().initializers().putAll(kept);
    }
}
