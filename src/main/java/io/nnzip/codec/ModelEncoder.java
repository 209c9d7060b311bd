package io.nnzip.codec;

import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzWriter;
import io.nnzip.codec.format.StreamHeader;
import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.syntax.SyntaxWriter;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.Version;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Encodes models into .nnz streams: a topology unit then one tensor unit per initializer, coded on several threads
 * (tensors are independent) and written in order. The same routine writes a plain model, a difference against a
 * base (update), and the members of a bundle.
 */
public final class ModelEncoder {
    /** Result of writing one model's units: per-tensor reports and, if asked for, the receiver's reconstruction. */
    public record Written(List<TensorReport> tensors, Map<String, Tensor> reconstruction) {}

    /** One coded tensor: its unit (null if skipped as unchanged) and, if asked for, what the receiver decodes. */
    private record Coded(String name, long elements, TensorUnit unit, Tensor reconstruction) {}

    private ModelEncoder() {}

    public static byte[] encode(Model m, CodecOptions o) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        encode(TensorSource.of(m), o, out);
        return out.toByteArray();
    }

    /** Writes a complete MODEL stream; returns the per-tensor reports. */
    public static List<TensorReport> encode(TensorSource src, CodecOptions o, OutputStream out) {
        NnzWriter w = new NnzWriter(out, new StreamHeader(NnzFormat.KIND_MODEL, Version.VERSION, o.recipe(), null));
        Written r = writeUnits(w, src, null, o, false);
        w.finish();
        return r.tensors();
    }

    /** What the receiver of {@code encode(m, o)} decodes, computed without serializing: the lockstep base for updates. */
    public static Model reconstruct(Model m, CodecOptions o) { return reconstruct(TensorSource.of(m), o); }

    /** As {@link #reconstruct(Model, CodecOptions)} for a source (whose pinned units are decoded as they stand). */
    public static Model reconstruct(TensorSource src, CodecOptions o) {
        Model m = src.graph();
        Written r = writeUnits(null, src, null, o, true);
        Model copy = m.copy();
        copy.graph().initializers().replaceAll((k, v) -> r.reconstruction().getOrDefault(k, v));
        return copy;
    }

    /**
     * Writes the topology and tensor units of {@code src} to {@code w} (null: only compute). With a {@code base},
     * tensors are coded as differences to it, unchanged ones are skipped, and an unchanged topology is referenced.
     */
    public static Written writeUnits(NnzWriter w, TensorSource src, Model base, CodecOptions o, boolean reconstruct) {
        Model m = src.graph();
        // Small integer tensors the source graph holds stay in the proto (format version 8): no unit of their own.
        java.util.Set<String> inline = new java.util.HashSet<>();
        for (String n : src.names()) if (src.coded(n) == null && TopologyUnit.inlined(m.graph().initializer(n))) inline.add(n);
        Model shell = stripped(m, src.names());
        for (String n : inline) shell.graph().initializers().put(n, m.graph().initializer(n));
        TopologyUnit topo = TopologyUnit.of(shell);
        topo.directory = new ArrayList<>(src.names());
        if (base != null) {
            TopologyUnit bt = TopologyUnit.of(base);
            if (bt.protoLength == topo.protoLength && Arrays.equals(bt.proto, topo.proto) && bt.directory.equals(topo.directory)) {
                topo = new TopologyUnit();
                topo.mode = 1;
            }
        }
        if (w != null) w.unit(NnzFormat.TOPOLOGY, payload(topo::syntax));
        Map<String, List<Node>> consumers = m.graph().consumers();
        List<String> names = src.names();
        List<TensorReport> reports = new ArrayList<>();
        Map<String, Tensor> recon = reconstruct ? new LinkedHashMap<>() : null;
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(o.threads(), Math.max(1, names.size())), r -> {
            Thread t = new Thread(r, "nnz-encode");
            t.setDaemon(true);
            return t;
        });
        try {
            Deque<Future<Coded>> window = new ArrayDeque<>();
            int next = 0;
            while (next < names.size() || !window.isEmpty()) {
                while (next < names.size() && window.size() < 2 * o.threads()) {
                    int idx = next++;
                    String name = names.get(idx);
                    if (inline.contains(name)) {
                        Tensor t = m.graph().initializer(name);
                        window.add(java.util.concurrent.CompletableFuture.completedFuture(new Coded(name, t.size(), null, t)));
                    } else window.add(pool.submit(() -> encodeOne(idx, name, src, base, o, consumers, reconstruct)));
                }
                Coded c = get(window.removeFirst());
                if (inline.contains(c.name())) reports.add(new TensorReport(c.name(), topo.mode == 1 ? "skipped" : "topology", c.elements(), 0));
                else if (c.unit() == null) reports.add(new TensorReport(c.name(), "skipped", c.elements(), 0));
                else {
                    byte[] p = payload(c.unit()::syntax);
                    if (w != null) w.unit(NnzFormat.TENSOR, p);
                    reports.add(new TensorReport(c.name(), TensorUnit.methodName(c.unit().method), c.elements(), p.length));
                }
                if (recon != null) recon.put(c.name(), c.reconstruction());
            }
        } finally {
            pool.shutdownNow();
        }
        return new Written(reports, recon);
    }

    private static Coded encodeOne(int idx, String name, TensorSource src, Model base, CodecOptions o, Map<String, List<Node>> consumers, boolean reconstruct) {
        Tensor t = src.load(name);
        if (t == null) throw new NnzipException("tensor '" + name + "' could not be loaded");
        Tensor b = base == null ? null : base.graph().initializer(name);
        TensorUnit pinned = base == null ? src.coded(name) : null;
        TensorUnit u;
        if (pinned != null) {
            u = pinned;
            u.index = idx;
        } else u = TensorCodec.encode(idx, name, t, policy(src.graph(), consumers, name, t, o), b);
        Tensor rec = null;
        if (reconstruct) rec = u == null ? b : isExact(u) ? t : TensorCodec.decode(u, b);
        return new Coded(name, t.size(), u, rec);
    }

    /** How the options code tensor {@code name} of model {@code m}: quantized or not, its step's QP and axis. */
    static TensorCodec.Policy policy(Model m, Map<String, List<Node>> consumers, String name, Tensor t, CodecOptions o) {
        boolean quantize = !o.lossless() && t.dtype() == DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED;
        int axis = o.perChannel() ? OutputAxis.of(m.graph(), consumers, name, t.rank()) : -1;
        int mantissa = o.lossless() || quantize ? 23 : o.floatMantissa();
        return new TensorCodec.Policy(quantize, o.qpFor(name), axis, o.rounding(), o.threads(), mantissa, o.quantizer());
    }

    /** What the receiver decodes for one tensor of {@code m} coded alone with {@code o} (for step searches). */
    public static Tensor reconstructTensor(Model m, String name, CodecOptions o) {
        Tensor t = m.graph().initializer(name);
        TensorUnit u = TensorCodec.encode(0, name, t, policy(m, m.graph().consumers(), name, t, o), null);
        return isExact(u) ? t : TensorCodec.decode(u, null);
    }

    /** Bytes of the tensor unit that codes tensor {@code name} of {@code m} alone with {@code o} (for rate searches). */
    public static int codedBytes(Model m, String name, CodecOptions o) {
        Tensor t = m.graph().initializer(name);
        return payload(TensorCodec.encode(0, name, t, policy(m, m.graph().consumers(), name, t, o), null)::syntax).length;
    }

    /** Bytes of an already coded tensor unit's payload (for rate searches over units coded elsewhere). */
    public static int unitBytes(TensorUnit u) { return payload(u::syntax).length; }

    private static boolean isExact(TensorUnit u) { return u.method != TensorUnit.UNIFORM && u.method != TensorUnit.DOM_UNIFORM && u.method != TensorUnit.FLOAT_REDUCED; }

    private static Coded get(Future<Coded> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NnzipException("encoding interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static Model stripped(Model m, List<String> names) {
        Model s = m.copy();
        s.graph().initializers().keySet().removeAll(names);
        return s;
    }

    static byte[] payload(java.util.function.Consumer<io.nnzip.codec.syntax.SyntaxIO> syntax) {
        ByteSink s = new ByteSink();
        syntax.accept(new SyntaxWriter(s));
        return s.toByteArray();
    }
}
