package io.nnzip.hostile;

import com.google.protobuf.ByteString;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzWriter;
import io.nnzip.codec.format.StreamHeader;
import io.nnzip.codec.syntax.SyntaxWriter;
import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.Version;
import io.nnzip.numpy.Npy;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.onnx.proto.Onnx;
import io.nnzip.onnx.proto.Onnx.ModelProto;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Crafted malformed inputs, one per way a file can attack or confuse a reader: the cases of issue 20 (external data
 * escaping the model's folder, structural violations, decompression bombs, unsafe bundle member names, pickles,
 * absurd declared sizes). Each case is a set of files (the first is the input) and the command to run on it, with
 * {@code {in}} standing for the input, {@code {dir}} for its folder and {@code {out}} for an output path.
 * A file named {@code X.symlink} stands for a symbolic link X whose target is the file's text.
 */
public final class HostileInputs {
    public record Case(String name, Map<String, byte[]> files, String... command) {}

    private HostileInputs() {}

    /** A small valid model: y = Relu(x · W), x [1,4], W [4,3]. */
    public static Model tiny() {
        GraphBuilder b = new GraphBuilder("tiny");
        String x = b.input("x", DType.FLOAT, 1, 4);
        float[] w = new float[12];
        for (int i = 0; i < w.length; i++) w[i] = (i % 5 - 2) * 0.25f;
        String wn = b.init("W", w, 4, 3);
        b.output(b.op("Relu", b.op("MatMul", x, wn)), DType.FLOAT, 1, 3);
        return b.build(13);
    }

    public static ModelProto.Builder tinyProto() {
        try {
            return ModelProto.parseFrom(OnnxWriter.toBytes(tiny())).toBuilder();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] tinyInput() { return Npy.toBytes(Tensor.of(new float[] {1, -2, 3, 0.5f}, 1, 4)); }

    public static byte[] tinyNnz() { return ModelEncoder.encode(tiny(), CodecOptions.losslessMode()); }

    /** W stored as external data with the given (key, value) entries. */
    static byte[] externalW(String... kv) {
        ModelProto.Builder p = tinyProto();
        TensorProto.Builder w = p.getGraphBuilder().getInitializerBuilder(0);
        w.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL);
        for (int i = 0; i < kv.length; i += 2)
            w.addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey(kv[i]).setValue(kv[i + 1]));
        return p.build().toByteArray();
    }

    static byte[] weights48() {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) b.putFloat(0.5f);
        return b.array();
    }

    static Map<String, byte[]> files(Object... nameBytes) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameBytes.length; i += 2) {
            Object v = nameBytes[i + 1];
            m.put((String) nameBytes[i], v instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) v);
        }
        return m;
    }

    static Case info(String name, byte[] onnx) { return new Case(name, files("model.onnx", onnx), "info", "{in}"); }

    /** Every crafted case; the golden-error corpus holds these with the one-line error each must produce. */
    public static List<Case> crafted() {
        List<Case> cs = new ArrayList<>();
        // external data: confined to the model's folder, and silent about anything outside it
        cs.add(info("ext-parent", externalW("location", "../sentinel.bin")));
        cs.add(info("ext-deep-parent", externalW("location", "../../../../../../../etc/passwd")));
        cs.add(info("ext-inner-parent", externalW("location", "sub/../../sentinel.bin")));
        cs.add(info("ext-absolute", externalW("location", "/etc/passwd")));
        cs.add(info("ext-proc", externalW("location", "/proc/self/environ")));
        cs.add(new Case("ext-symlink", files("model.onnx", externalW("location", "w.bin"), "w.bin.symlink", "../sentinel.bin"), "info", "{in}"));
        // a symlinked folder leading outside: the same answer whether the file behind it exists or not
        cs.add(new Case("ext-symlink-dir-existing", files("model.onnx", externalW("location", "sub/sentinel.bin"), "sub.symlink", ".."), "info", "{in}"));
        cs.add(new Case("ext-symlink-dir-missing", files("model.onnx", externalW("location", "sub/nothere.bin"), "sub.symlink", ".."), "info", "{in}"));
        cs.add(new Case("ext-encode", files("model.onnx", externalW("location", "../sentinel.bin")), "encode", "{in}", "--lossless", "-o", "{out}"));
        cs.add(new Case("ext-run", files("model.onnx", externalW("location", "/etc/passwd"), "x.npy", tinyInput()), "run", "{in}", "--input", "{dir}/x.npy"));
        cs.add(new Case("ext-negative-length", files("model.onnx", externalW("location", "w.bin", "length", "-5"), "w.bin", weights48()), "info", "{in}"));
        cs.add(new Case("ext-negative-offset", files("model.onnx", externalW("location", "w.bin", "offset", "-8"), "w.bin", weights48()), "info", "{in}"));
        cs.add(new Case("ext-offset-past-end", files("model.onnx", externalW("location", "w.bin", "offset", "40"), "w.bin", weights48()), "info", "{in}"));
        cs.add(new Case("ext-offset-overflow", files("model.onnx", externalW("location", "w.bin", "offset", "9223372036854775800"), "w.bin", weights48()), "info", "{in}"));
        cs.add(new Case("ext-offset-not-number", files("model.onnx", externalW("location", "w.bin", "offset", "1e3"), "w.bin", weights48()), "info", "{in}"));
        cs.add(info("ext-missing", externalW("location", "nothere.bin")));
        cs.add(info("ext-nul", externalW("location", "w.bin\0../../etc/passwd")));
        cs.add(info("ext-no-location", externalW("offset", "0")));
        // structure: the one validation every command runs
        ModelProto.Builder p = tinyProto();
        p.getGraphBuilder().clearOutput();
        cs.add(info("no-outputs", p.build().toByteArray()));
        cs.add(new Case("no-outputs-encode", files("model.onnx", p.build().toByteArray()), "encode", "{in}", "-o", "{out}"));
        cs.add(info("opset-1", tinyProto().setOpsetImport(0, Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(1)).build().toByteArray()));
        cs.add(info("opset-99", tinyProto().setOpsetImport(0, Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(99)).build().toByteArray()));
        cs.add(info("no-opset-import", tinyProto().clearOpsetImport().build().toByteArray()));
        cs.add(info("ir-version-99", tinyProto().setIrVersion(99).build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().addInitializer(p.getGraph().getInitializer(0));
        cs.add(info("duplicate-initializer", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getNodeBuilder(1).setName("relu1")
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("alpha").setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(1))
                .addAttribute(Onnx.AttributeProto.newBuilder().setName("alpha").setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(2));
        cs.add(info("duplicate-attribute", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getNodeBuilder(0).setName("mm").setOutput(0, p.getGraph().getNode(1).getOutput(0));
        cs.add(info("duplicate-output-name", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getNodeBuilder(0).setName("mm").setInput(0, p.getGraph().getNode(1).getOutput(0));
        byte[] cyclic = p.build().toByteArray();
        cs.add(info("cycle", cyclic));
        cs.add(new Case("cycle-encode", files("model.onnx", cyclic), "encode", "{in}", "--lossless", "-o", "{out}"));
        p = tinyProto();
        p.getGraphBuilder().getNodeBuilder(1).setName("mystery").setOpType("FrobnicateV7");
        byte[] unknown = p.build().toByteArray();
        cs.add(info("unknown-op", unknown));
        cs.add(new Case("unknown-op-encode", files("model.onnx", unknown), "encode", "{in}", "--lossless", "-o", "{out}"));
        p = tinyProto();
        p.getGraphBuilder().getNodeBuilder(1).setName("custom").setDomain("com.example");
        cs.add(info("custom-domain-op", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getInitializerBuilder(0).clearDims().addDims(1L << 40);
        cs.add(info("dims-2e40", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getInitializerBuilder(0).clearDims().addDims(1 << 21).addDims(1 << 21).addDims(1 << 21);
        cs.add(info("dims-product-2e63", p.build().toByteArray()));
        p = tinyProto();
        p.getGraphBuilder().getInitializerBuilder(0).clearDims().addDims(-4).addDims(3);
        cs.add(info("dims-negative", p.build().toByteArray()));
        cs.add(info("nesting-bomb", nestingBomb(400)));
        cs.add(info("truncated-onnx", java.util.Arrays.copyOf(tinyProto().build().toByteArray(), 60)));
        cs.add(info("empty-onnx", new byte[0]));
        // NumPy: pickles are refused, never run; absurd declared sizes refused before allocation
        cs.add(new Case("npy-pickle", files("x.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle()), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npz-pickle", files("x.npz", zip(Map.of("x.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", pickle()))), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npy-2e40-elements", files("x.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }", new byte[16]), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npy-2e64-elements", files("x.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551616,), }", new byte[16]), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npy-2e62-product", files("x.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", new byte[16]), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        // found by fuzzing (NpyTarget): a v3 header length near 2^31 overflowed the bounds check
        cs.add(new Case("npy-header-length-overflow", files("x.npy", java.util.Base64.getDecoder().decode("k05VTVBZA8X+//9/AAAAAHYo"), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npy-truncated", files("x.npy", java.util.Arrays.copyOf(tinyInput(), tinyInput().length - 5), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        cs.add(new Case("npz-bomb-mismatch", files("x.npz", zipLying("x.npy", 10 << 20, 1000), "model.onnx", OnnxWriter.toBytes(tiny())),
                "run", "{dir}/model.onnx", "--input", "{in}"));
        // .nnz: truncated and header-corrupted streams; bundles whose member names would escape the folder
        byte[] nnz = tinyNnz();
        cs.add(new Case("nnz-truncated", files("m.nnz", java.util.Arrays.copyOf(nnz, nnz.length / 2)), "decode", "{in}", "-o", "{out}"));
        byte[] hdr = nnz.clone();
        hdr[8] ^= 0x40;
        cs.add(new Case("nnz-header-corrupt", files("m.nnz", hdr), "decode", "{in}", "-o", "{out}"));
        byte[] ver = nnz.clone();
        ver[4] = 99;
        cs.add(new Case("nnz-version-99", files("m.nnz", ver), "decode", "{in}", "-o", "{out}"));
        // found by fuzzing (NnzTarget): a unit length varint that decodes negative reached an array allocation
        cs.add(new Case("nnz-negative-unit-length", files("m.nnz", io.nnzip.codec.format.CrcFixer.fix(java.util.Base64.getDecoder().decode(
                "iU5OWgQAEQEFMC4xLjAIbG9zcwIAAJIA/////////////////5MBdXja4wAEAE5OAFqJEQEFEQEFMC4x////////////////////////////"
                + "//////////////////////////////////+TAXV42uMABABOTgBaiREBBREBBTAuMS4wCGxvc3PgEGLNy6vKMcUs"))), "decode", "{in}", "-o", "{out}"));
        for (String[] bad : new String[][] {{"dotdot-x", "../x"}, {"absolute", "/tmp/abs"}, {"dotdot", ".."}, {"empty", ""},
                {"nul", "a\0b"}, {"long", "n".repeat(5000)}, {"backslash", "..\\x"}})
            cs.add(new Case("bundle-name-" + bad[0], files("b.nnz", bundle("good", bad[1])), "unpack", "{in}", "-d", "{out}"));
        return cs;
    }

    /** A bundle whose second member carries {@code badName}; written unit by unit because the packer refuses it. */
    public static byte[] bundle(String first, String second) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodecOptions o = CodecOptions.losslessMode();
        NnzWriter w = new NnzWriter(out, new StreamHeader(NnzFormat.KIND_BUNDLE, Version.VERSION, o.recipe(), null));
        Model m = tiny();
        w.unit(NnzFormat.MEMBER, member(first, MemberUnit.ROOT));
        ModelEncoder.writeUnits(w, TensorSource.of(m), null, o, false);
        w.unit(NnzFormat.MEMBER, member(second, MemberUnit.DIFFERENCE));
        ModelEncoder.writeUnits(w, TensorSource.of(m), m, o, false);
        w.finish();
        return out.toByteArray();
    }

    static byte[] member(String name, int role) {
        ByteSink s = new ByteSink();
        SyntaxWriter w = new SyntaxWriter(s);
        w.str("name", name);
        w.u8("role", role);
        return s.toByteArray();
    }

    /** A graph nested {@code depth} levels deep through If branches: a protobuf recursion bomb. */
    static byte[] nestingBomb(int depth) {
        Onnx.GraphProto g = Onnx.GraphProto.newBuilder().setName("leaf").build();
        for (int i = 0; i < depth; i++) {
            Onnx.NodeProto n = Onnx.NodeProto.newBuilder().setOpType("If").addInput("c").addOutput("o")
                    .addAttribute(Onnx.AttributeProto.newBuilder().setName("then_branch").setType(Onnx.AttributeProto.AttributeType.GRAPH).setG(g)).build();
            g = Onnx.GraphProto.newBuilder().setName("g" + i).addNode(n).build();
        }
        return tinyProto().setGraph(g).build().toByteArray();
    }

    public static byte[] npy(String header, byte[] data) {
        String h = header;
        while ((10 + h.length() + 1) % 64 != 0) h += " ";
        h += "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length()).put(h.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    /** A pickle that would run {@code os.system('touch /tmp/nnzip-pwned')} if anything unpickled it. */
    public static byte[] pickle() {
        return "cos\nsystem\n(S'touch /tmp/nnzip-pwned'\ntR.".getBytes(StandardCharsets.ISO_8859_1);
    }

    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A one-entry zip of {@code realSize} zero bytes (deflated) whose local header claims {@code declaredSize}: a
     * bomb that lies about its size. With {@code declaredSize == realSize} it is an honest bomb.
     */
    public static byte[] zipLying(String name, int realSize, int declaredSize) {
        Deflater d = new Deflater(9, true);
        byte[] zeros = new byte[1 << 16];
        ByteArrayOutputStream comp = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        CRC32 crc = new CRC32();
        for (int left = realSize; left > 0; left -= zeros.length) {
            int n = Math.min(left, zeros.length);
            d.setInput(zeros, 0, n);
            crc.update(zeros, 0, n);
            while (!d.needsInput()) comp.write(buf, 0, d.deflate(buf));
        }
        d.finish();
        while (!d.finished()) comp.write(buf, 0, d.deflate(buf));
        d.end();
        byte[] c = comp.toByteArray();
        byte[] nm = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(30 + nm.length + c.length + 46 + nm.length + 22).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 8).putInt(0)
                .putInt((int) crc.getValue()).putInt(c.length).putInt(declaredSize).putShort((short) nm.length).putShort((short) 0).put(nm).put(c);
        int cd = b.position();
        b.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 8).putInt(0)
                .putInt((int) crc.getValue()).putInt(c.length).putInt(declaredSize).putShort((short) nm.length).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(0).put(nm);
        int cdLen = b.position() - cd;
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1).putInt(cdLen).putInt(cd).putShort((short) 0);
        return b.array();
    }
}
