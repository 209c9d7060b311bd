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
 * From format version 8 the directory may also name initializers the proto keeps ({@link #inlined}: small integer
 * tensors, the shape and axes constants of exported graphs); they have no tensor unit. A tensor unit would cost
 * ~20 bytes of framing for each such constant (a transformer export has ~75 of them, 1.4 KB), inside the deflated
 * proto they cost a few.
 * <pre>
 * TopologyUnit --&gt; Mode:u8 (0 full, 1 same as the base's), [ProtoLength:uvar, Proto:blob (deflate), Directory]
 *                                                                    (only for mode 0)
 *   Directory  --&gt; Count:count, Name:str^Count                       (format versions 1 to 7)
 *   Directory  --&gt; Count:count, NamesLength:uvar, Names:blob        (format version 8: the Count names as
 *                                                                     Name:str^Count, deflate-compressed)
 * </pre>
 */
public final class TopologyUnit {
    public int mode;
    public long protoLength;
    public byte[] proto = new byte[0];
    public List<String> directory = new ArrayList<>();
    /** Format version of the stream this unit belongs to; set it before {@link #syntax} when reading. */
    public int formatVersion = io.nnzip.codec.format.NnzFormat.VERSION;

    public void syntax(SyntaxIO io) {
        mode = io.u8("mode", mode);
        if (mode == 1) return;
        if (mode != 0) throw new NnzipException("topology unit: unknown mode " + mode);
        protoLength = io.uvar("proto_length", protoLength);
        proto = io.blob("proto", proto);
        int n = io.count("directory_size", directory.size(), Integer.MAX_VALUE);
        if (formatVersion >= 8) {
            // Exporters' initializer names share long prefixes; deflated they cost a fraction of their length.
            byte[] raw = io.reading() ? null : ModelEncoder.payload(this::names);
            long len = io.uvar("names_length", io.reading() ? 0 : raw.length);
            byte[] names = io.blob("names", io.reading() ? null : deflate(raw));
            if (io.reading()) {
                if (len > 1032L * names.length + 1024) throw new NnzipException("topology unit: declared directory size " + len + " is inconsistent with " + names.length + " compressed bytes");
                io.nnzip.codec.syntax.SyntaxReader r = new io.nnzip.codec.syntax.SyntaxReader(
                        new io.nnzip.codec.bits.ByteSource(BoundedInflate.inflate(names, len, "topology directory"), "topology directory"));
                directory = new ArrayList<>();
                if (n > r.source().remaining()) throw new NnzipException("topology unit: " + n + " directory names exceed the directory's " + r.source().remaining() + " bytes");
                for (int i = 0; i < n; i++) directory.add(r.str("name", ""));
                r.source().expectEnd();
            }
            return;
        }
        if (io.reading()) {
            directory = new ArrayList<>();
            for (int i = 0; i < n; i++) directory.add(io.str("name", ""));
        } else for (String s : directory) io.str("name", s);
    }

    private void names(SyntaxIO io) { for (String s : directory) io.str("name", s); }

    private static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(9);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 3 + 64);
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    /** Largest integer tensor the proto keeps (format version 8). */
    public static final int INLINE_ELEMENTS = 64;

    /**
     * Whether a tensor stays inside the proto: small integer and bool tensors (shape arithmetic, axes, indices).
     * Float tensors never do, so an update that changes a bias still sends only that tensor, not the topology.
     */
    public static boolean inlined(Tensor t) {
        return t != null && t.dtype() != DType.STRING && !t.dtype().isFloating() && t.size() <= INLINE_ELEMENTS;
    }

    /**
     * The topology of {@code m}: every numeric initializer is named in the directory; those that tensor units will
     * carry (all but the {@link #inlined} ones) are stripped from the proto.
     */
    public static TopologyUnit of(Model m) {
        Model stripped = m.copy();
        TopologyUnit u = new TopologyUnit();
        stripped.graph().initializers().entrySet().removeIf(e -> {
            if (e.getValue().dtype() == DType.STRING) return false;
            u.directory.add(e.getKey());
            return !inlined(e.getValue());
        });
        byte[] raw = OnnxWriter.toBytes(stripped);
        u.protoLength = raw.length;
        u.proto = deflate(raw);
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

    /**
     * Puts the initializers back in directory order: decoded tensors, else the proto's own (format version 8), then
     * any string initializers the proto kept.
     */
    static void fill(Model m, List<String> directory, Map<String, Tensor> tensors) {
        Map<String, Tensor> kept = new LinkedHashMap<>(m.graph().initializers());
        m.graph().initializers().clear();
        for (String name : directory) {
            Tensor t = tensors.get(name);
            if (t == null) t = kept.remove(name);
            if (t == null) throw new NnzipException("tensor '" + name + "' is missing from the stream");
            m.graph().initializers().put(name, t);
        }
        m.graph().initializers().putAll(kept);
    }
}
