package io.nnzip.codec;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;

/**
 * The Java API of the .nnz codec in one place: encode/decode a model, diff/patch (sequential updates),
 * pack/unpack (bundles of related models). Streaming variants live on {@link ModelEncoder}, {@link DiffEncoder}
 * and {@link BundleCodec}; {@link NnzInspector} reports what a stream contains.
 */
public final class NnzCodec {
    private NnzCodec() {}

    public static byte[] encode(Model m, CodecOptions o) { return ModelEncoder.encode(m, o); }

    public static Model decode(byte[] nnz) { return decode(nnz, "stream"); }

    public static Model decode(byte[] nnz, String name) {
        NnzReader r = new NnzReader(nnz, name);
        if (r.header().kind != NnzFormat.KIND_MODEL)
            throw new NnzipException(name + " is a " + NnzFormat.kindName(r.header().kind) + " stream, not a model ("
                    + (r.header().kind == NnzFormat.KIND_UPDATE ? "use patch" : "use unpack") + ")");
        return StreamDecoder.decodeAll(r, null).values().iterator().next();
    }

    public static byte[] diff(Model base, Model next, CodecOptions o) { return DiffEncoder.diff(base, next, o, false); }

    public static Model patch(Model base, byte[] update) { return Patcher.patch(base, update, "update", Runtime.getRuntime().availableProcessors()); }

    public static byte[] pack(LinkedHashMap<String, Model> models, String root, CodecOptions o) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleCodec.pack(models, root, o, out);
        return out.toByteArray();
    }

    public static LinkedHashMap<String, Model> unpack(byte[] bundle) { return BundleCodec.unpack(bundle, "bundle"); }
}
