package io.nnzip.codec;

import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzFormatException;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the units of any .nnz stream into models. A plain model stream yields one model; an update yields the
 * patched model (given the base); a bundle yields its members in order. Any failure inside a unit whose checksum
 * passed is reported as undecodable (with the unit named), so corruption and bugs are told apart.
 */
public final class StreamDecoder {
    private StreamDecoder() {}

    /**
     * Decodes all models in the stream. {@code baseFor} gives the base of the model being decoded: for an update
     * the caller's base; inside a bundle it is ignored (members use the decoded root).
     */
    public static LinkedHashMap<String, Model> decodeAll(NnzReader r, Model updateBase) {
        int kind = r.header().kind;
        if (kind != NnzFormat.KIND_MODEL && kind != NnzFormat.KIND_UPDATE && kind != NnzFormat.KIND_BUNDLE)
            throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, "unknown stream kind " + kind, null);
        LinkedHashMap<String, Model> out = new LinkedHashMap<>();
        Model root = null;
        String memberName = kind == NnzFormat.KIND_BUNDLE ? null : "model";
        Model base = kind == NnzFormat.KIND_UPDATE ? updateBase : null;
        if (kind == NnzFormat.KIND_UPDATE && base == null) throw new NnzipException("an update needs its base model");
        Building cur = null;
        NnzReader.Unit u;
        while ((u = r.next()) != null) {
            try {
                switch (u.type()) {
                    case NnzFormat.MEMBER -> {
                        if (kind != NnzFormat.KIND_BUNDLE) throw new NnzipException("member unit outside a bundle");
                        if (cur != null) {
                            Model done = cur.finish();
                            out.put(memberName, done);
                            if (root == null) root = done;
                        }
                        MemberUnit mu = new MemberUnit();
                        mu.syntax(new SyntaxReader(new ByteSource(u.payload(), "member unit")));
                        if (out.containsKey(mu.name)) throw new NnzipException("bundle has two members named '" + mu.name + "'");
                        if (mu.role == MemberUnit.ROOT && root != null) throw new NnzipException("bundle has a second root '" + mu.name + "'");
                        if (mu.role != MemberUnit.ROOT && mu.role != MemberUnit.DIFFERENCE) throw new NnzipException("unknown member role " + mu.role);
                        if (mu.role == MemberUnit.DIFFERENCE && root == null && cur == null) throw new NnzipException("bundle member '" + mu.name + "' precedes the root");
                        memberName = mu.name;
                        base = mu.role == MemberUnit.ROOT ? null : root;
                        cur = null;
                    }
                    case NnzFormat.TOPOLOGY -> {
                        if (memberName == null) throw new NnzipException("topology unit before the first member");
                        if (cur != null) throw new NnzipException("second topology unit for one model");
                        TopologyUnit t = new TopologyUnit();
                        t.formatVersion = r.version();
                        SyntaxReader sr = new SyntaxReader(new ByteSource(u.payload(), "topology unit"));
                        t.syntax(sr);
                        sr.source().expectEnd();
                        cur = new Building(t, base, r);
                    }
                    case NnzFormat.TENSOR -> {
                        if (cur == null) throw new NnzipException("tensor unit before the topology unit");
                        TensorUnit t = new TensorUnit();
                        t.formatVersion = r.version();
                        SyntaxReader sr = new SyntaxReader(new ByteSource(u.payload(), "tensor unit"));
                        t.syntax(sr);
                        sr.source().expectEnd();
                        cur.add(t, u);
                    }
                    default -> { /* unknown unit types are skipped: newer writers may add optional units */ }
                }
            } catch (NnzFormatException e) {
                throw e;
            } catch (RuntimeException e) {
                throw r.undecodable(u, e);
            }
        }
        if (cur == null) throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, "stream holds no model", null);
        try {
            out.put(memberName, cur.finish());
        } catch (NnzFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, "cannot assemble the model: " + e.getMessage()
                    + " (checksums passed: a decoder bug or an unsupported producer)", e);
        }
        return out;
    }

    /** A parsed tensor unit waiting to be decoded, with the stream unit it came from (for error messages). */
    private record Pending(TensorUnit tensor, NnzReader.Unit unit) {}

    /** One model being assembled from its topology and tensor units. */
    private static final class Building {
        final Model model;
        final List<String> directory;
        final Model base;
        final NnzReader reader;
        final Map<String, Tensor> tensors = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Pending> pending = new ArrayList<>();
        final java.util.Set<String> seen = new java.util.HashSet<>();

        Building(TopologyUnit t, Model base, NnzReader reader) {
            this.base = base;
            this.reader = reader;
            if (t.mode == 1) {
                if (base == null) throw new NnzipException("topology refers to a base, but this model has none");
                model = base.copy();
                directory = new ArrayList<>();
                base.graph().initializers().forEach((k, v) -> { if (v.dtype() != DType.STRING) directory.add(k); });
                directory.forEach(model.graph().initializers()::remove);
            } else {
                model = t.model();
                directory = t.directory;
            }
        }

        void add(TensorUnit u, NnzReader.Unit unit) {
            if (u.index >= directory.size() || !directory.get(u.index).equals(u.name))
                throw new NnzipException("tensor '" + u.name + "' (#" + u.index + ") is not in the topology's directory");
            if (!seen.add(u.name)) throw new NnzipException("tensor '" + u.name + "' appears twice");
            pending.add(new Pending(u, unit));
        }

        // Tensors are independent: decode them on all cores, naming the unit of any that fails.
        Model finish() {
            pending.parallelStream().forEach(p -> {
                TensorUnit u = p.tensor();
                try {
                    tensors.put(u.name, TensorCodec.decode(u, base == null ? null : base.graph().initializer(u.name)));
                } catch (RuntimeException e) {
                    throw reader.undecodable(p.unit(), e);
                }
            });
            pending.clear();
            if (base != null) for (String n : directory) {
                if (tensors.containsKey(n) || model.graph().initializer(n) != null) continue; // the proto's own (version 8)
                Tensor b = base.graph().initializer(n);
                if (b != null) tensors.put(n, b);
            }
            TopologyUnit.fill(model, directory, tensors);
            return model;
        }
    }
}
