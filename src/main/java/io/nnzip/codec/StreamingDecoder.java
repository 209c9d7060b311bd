package io.nnzip.codec;

import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzFormatException;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decodes a model stream tensor by tensor, for models larger than memory: units are read from an
 * {@link InputStream} one at a time, up to {@code 2 · threads} tensors decode at once, and each decoded tensor is
 * handed to a {@link TensorSink} in stream order and then dropped. Memory is bounded by the graph plus that window
 * of tensors (and their coded units), never the whole model. {@link StreamDecoder} builds the whole model instead.
 * Model streams only; an update would need its base in memory anyway ({@link io.nnzip.codec.dom.Patcher}).
 */
public final class StreamingDecoder {
    /** Receives a decoded model piece by piece. */
    public interface TensorSink {
        /**
         * Called once, before any tensor: the graph (without the coded initializers) and the initializer names the
         * stream codes, in the model's order.
         */
        void graph(Model graph, List<String> directory);

        /** One decoded initializer; the decoder keeps no reference to it afterwards. */
        void tensor(String name, Tensor t);
    }

    private StreamingDecoder() {}

    /** Decodes the model stream {@code in} into {@code sink} on {@code threads} threads; returns the tensor count. */
    public static int decode(InputStream in, String name, TensorSink sink, int threads) {
        NnzReader r = new NnzReader(in, name);
        if (r.header().kind != NnzFormat.KIND_MODEL)
            throw new NnzipException(name + " is a " + NnzFormat.kindName(r.header().kind) + " stream; streaming decode takes model streams");
        int workers = Math.max(1, threads);
        ExecutorService pool = Executors.newFixedThreadPool(workers, rr -> {
            Thread t = new Thread(rr, "nnz-decode");
            t.setDaemon(true);
            return t;
        });
        List<String> directory = null;
        Set<String> seen = new HashSet<>();
        Deque<Future<Tensor>> window = new ArrayDeque<>();
        Deque<String> names = new ArrayDeque<>();
        java.util.Map<String, Tensor> inline = new java.util.HashMap<>();
        int delivered = 0, cursor = 0;
        try {
            NnzReader.Unit u;
            while ((u = r.next()) != null) {
                NnzReader.Unit unit = u;
                try {
                    if (u.type() == NnzFormat.TOPOLOGY) {
                        if (directory != null) throw new NnzipException("second topology unit");
                        TopologyUnit t = new TopologyUnit();
                        t.formatVersion = r.version();
                        SyntaxReader sr = new SyntaxReader(new ByteSource(u.payload(), "topology unit"));
                        t.syntax(sr);
                        sr.source().expectEnd();
                        if (t.mode != 0) throw new NnzipException("a model stream's topology cannot refer to a base");
                        directory = List.copyOf(t.directory);
                        Model graph = t.model();
                        // Tensors the proto keeps (format version 8) go to the sink like decoded ones, in directory order.
                        for (String n : directory) {
                            Tensor kept = graph.graph().initializers().remove(n);
                            if (kept != null) inline.put(n, kept);
                        }
                        sink.graph(graph, directory);
                    } else if (u.type() == NnzFormat.TENSOR) {
                        if (directory == null) throw new NnzipException("tensor unit before the topology unit");
                        TensorUnit t = new TensorUnit();
                        t.formatVersion = r.version();
                        SyntaxReader sr = new SyntaxReader(new ByteSource(u.payload(), "tensor unit"));
                        t.syntax(sr);
                        sr.source().expectEnd();
                        if (t.index >= directory.size() || !directory.get(t.index).equals(t.name))
                            throw new NnzipException("tensor '" + t.name + "' (#" + t.index + ") is not in the topology's directory");
                        if (!seen.add(t.name)) throw new NnzipException("tensor '" + t.name + "' appears twice");
                        for (; cursor < t.index; cursor++) enqueueInline(directory.get(cursor), inline, seen, window, names);
                        cursor = Math.max(cursor, t.index + 1);
                        window.add(pool.submit(() -> {
                            try {
                                return TensorCodec.decode(t, null);
                            } catch (RuntimeException e) {
                                throw r.undecodable(unit, e);
                            }
                        }));
                        names.add(t.name);
                        while (window.size() >= 2 * workers) {
                            sink.tensor(names.removeFirst(), get(window.removeFirst()));
                            delivered++;
                        }
                    }
                    // other unit types are skipped, as in StreamDecoder
                } catch (NnzFormatException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw r.undecodable(unit, e);
                }
            }
            if (directory != null) for (; cursor < directory.size(); cursor++) enqueueInline(directory.get(cursor), inline, seen, window, names);
            while (!window.isEmpty()) {
                sink.tensor(names.removeFirst(), get(window.removeFirst()));
                delivered++;
            }
        } finally {
            pool.shutdownNow();
        }
        if (directory == null) throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, name + ": stream holds no model", null);
        if (seen.size() != directory.size()) {
            for (String n : directory)
                if (!seen.contains(n)) throw new NnzFormatException(NnzFormatException.Kind.UNDECODABLE, true, name + ": tensor '" + n + "' is missing from the stream", null);
        }
        return delivered;
    }

    private static void enqueueInline(String name, java.util.Map<String, Tensor> inline, Set<String> seen, Deque<Future<Tensor>> window, Deque<String> names) {
        Tensor t = inline.remove(name);
        if (t == null || !seen.add(name)) return;
        window.add(java.util.concurrent.CompletableFuture.completedFuture(t));
        names.add(name);
    }

    private static Tensor get(Future<Tensor> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NnzipException("decoding interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }
}
