package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.StreamDecoder;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzFormatException;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.codec.format.NnzWriter;
import io.nnzip.codec.format.StreamHeader;
import io.nnzip.codec.syntax.SyntaxWriter;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.Version;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parallel transmission: several related models in one bundle. The root is coded once; every other model is coded
 * as its difference to the root's reconstruction (what the receiver decodes), with unchanged layers skipped.
 */
public final class BundleCodec {
    /** What packing did: the chosen root, the root-choice estimate (null if the root was given), per-member reports. */
    public record Packed(String root, RootChooser.Estimate estimate, Map<String, List<TensorReport>> members, long bytes) {}

    private BundleCodec() {}

    /** Packs {@code models} (name → model); {@code root} names the root, or "auto" to let {@link RootChooser} pick. */
    public static Packed pack(LinkedHashMap<String, Model> models, String root, CodecOptions o, OutputStream out) {
        if (models.isEmpty()) throw new NnzipException("nothing to pack");
        RootChooser.Estimate est = null;
        if (root == null || root.equals("auto")) {
            est = RootChooser.choose(models, o);
            root = est.root();
        }
        if (!models.containsKey(root)) throw new NnzipException("root '" + root + "' is not one of the models to pack");
        NnzWriter w = new NnzWriter(out, new StreamHeader(NnzFormat.KIND_BUNDLE, Version.VERSION, o.recipe(), null));
        Map<String, List<TensorReport>> reports = new LinkedHashMap<>();
        w.unit(NnzFormat.MEMBER, member(new MemberUnit(root, MemberUnit.ROOT)));
        Model rootModel = models.get(root);
        ModelEncoder.Written rw = ModelEncoder.writeUnits(w, TensorSource.of(rootModel), null, o, true);
        reports.put(root, rw.tensors());
        Model received = rootModel.copy();
        Map<String, Tensor> rec = rw.reconstruction();
        received.graph().initializers().replaceAll((k, v) -> rec.getOrDefault(k, v));
        for (Map.Entry<String, Model> e : models.entrySet()) {
            if (e.getKey().equals(root)) continue;
            w.unit(NnzFormat.MEMBER, member(new MemberUnit(e.getKey(), MemberUnit.DIFFERENCE)));
            reports.put(e.getKey(), ModelEncoder.writeUnits(w, TensorSource.of(e.getValue()), received, o, false).tensors());
        }
        long bytes = w.finish();
        return new Packed(root, est, reports, bytes);
    }

    /** The bundle's members in stored order (root first). */
    public static LinkedHashMap<String, Model> unpack(byte[] bundle, String name) {
        NnzReader r = new NnzReader(bundle, name);
        if (r.header().kind != NnzFormat.KIND_BUNDLE)
            throw new NnzipException(name + " is a " + NnzFormat.kindName(r.header().kind) + " stream, not a bundle");
        try {
            return StreamDecoder.decodeAll(r, null);
        } catch (NnzFormatException e) {
            if (e.getMessage().startsWith(name)) throw e;
            throw new NnzFormatException(e.kind(), e.checksumPassed(), name + ": " + e.getMessage(), e);
        }
    }

    private static byte[] member(MemberUnit m) {
        ByteSink s = new ByteSink();
        m.syntax(new SyntaxWriter(s));
        return s.toByteArray();
    }
}
