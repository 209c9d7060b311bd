package io.nnzip.serve;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.ir.DType;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model repository behind {@code nnzip serve}: versions of named models, each stored as a .nnz coded with the
 * repository's codec options plus the ONNX model a receiver decodes from it (its canonical state). Updates between a
 * state and a version, and bundles of versions, are computed on first request, stored as blobs and remembered in the
 * index; concurrent requests for the same update wait for one computation. Every change writes its blobs first and
 * the index last, so a crash at any point leaves the previous index, naming only complete blobs.
 */
public final class ModelRepository {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";

    private final BlobStore blobs;
    private final Path indexFile;
    private final CodecOptions options;
    private RepoIndex index;
    private final ConcurrentHashMap<String, CompletableFuture<Object>> inFlight = new ConcurrentHashMap<>();

    public ModelRepository(Path dir, CodecOptions options) {
        this.blobs = new BlobStore(dir);
        this.indexFile = dir.resolve("index.json");
        this.options = options;
        try {
            index = Files.exists(indexFile) ? JSON.readValue(indexFile.toFile(), RepoIndex.class) : new RepoIndex();
        } catch (IOException e) {
            throw new NnzipException("cannot read " + indexFile + ": " + e.getMessage(), e);
        }
    }

    public BlobStore blobs() { return blobs; }

    public CodecOptions options() { return options; }

    /** A copy of the index (callers never see it change under them). */
    public synchronized RepoIndex snapshot() {
        try {
            return JSON.readValue(JSON.writeValueAsBytes(index), RepoIndex.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void checkName(String what, String name) {
        if (name == null || !name.matches(NAME)) throw new HttpError(400, what + " name '" + name + "' must match " + NAME);
    }

    // ---- publishing ------------------------------------------------------------------------------------------

    /** What a publish or contribution did. */
    public record Published(String model, String version, String modelHash, long nnzBytes, String kind, String round) {}

    /**
     * Publishes {@code body} (ONNX, a .nnz model, or a .nnz update against a state of this repository) as the next
     * version of {@code model}; with {@code round} set it is stored as a contribution to that federated round instead.
     * The body is decoded completely (ONNX parse, or the .nnz checksums and syntax) before anything is stored.
     */
    public Published publish(String model, byte[] body, String round, long samples) {
        checkName("model", model);
        if (round != null) checkName("round", round);
        Received r = receive(model, body);
        if (round != null) {
            if (samples <= 0) throw new HttpError(400, "a contribution to round " + round + " needs samples > 0");
            String blob = blobs.put(body);
            synchronized (this) {
                RepoIndex.ModelEntry e = index.models.get(model);
                if (e == null) throw new HttpError(404, "unknown model '" + model + "': publish a version before contributing to a round");
                RepoIndex.Round rd = e.rounds.computeIfAbsent(round, k -> new RepoIndex.Round());
                if (rd.aggregated != null) throw new HttpError(409, "round " + round + " of " + model + " was already aggregated into version " + rd.aggregated);
                rd.contributions.add(new RepoIndex.Contribution(blob, body.length, samples, r.baseHash, ModelHash.hex(ModelHash.of(r.model))));
                save();
            }
            return new Published(model, null, ModelHash.hex(ModelHash.of(r.model)), body.length, r.kind, round);
        }
        byte[] nnz = r.kind.equals("nnz") ? body : NnzCodec.encode(r.model, options);
        Model state = r.kind.equals("nnz") ? r.model : NnzCodec.decode(nnz, model);
        RepoIndex.Version v = store(model, nnz, state, r.kind, r.baseVersion);
        return new Published(model, v.version(), v.modelHash(), v.nnzBytes(), r.kind, null);
    }

    private record Received(Model model, String kind, String baseHash, String baseVersion) {}

    private Received receive(String model, byte[] body) {
        if (body.length >= 4 && Arrays.equals(Arrays.copyOf(body, 4), NnzFormat.MAGIC)) {
            int kind;
            byte[] base;
            try {
                NnzReader rd = new NnzReader(body, "upload");
                kind = rd.header().kind;
                base = rd.header().baseHash;
            } catch (NnzipException e) {
                throw new HttpError(400, "corrupt .nnz upload: " + e.getMessage());
            }
            if (kind == NnzFormat.KIND_MODEL) return new Received(decodeChecked(() -> NnzCodec.decode(body, "upload")), "nnz", null, null);
            if (kind != NnzFormat.KIND_UPDATE) throw new HttpError(400, "a " + NnzFormat.kindName(kind) + " stream cannot be published; send a model or an update");
            String bh = ModelHash.hex(base);
            RepoIndex.State st;
            synchronized (this) {
                st = index.states.get(bh);
            }
            if (st == null || !st.model().equals(model))
                throw new HttpError(409, "the update is against base " + bh.substring(0, 16) + "…, which is no state of model '" + model + "' in this repository");
            Model b = readOnnx(st.onnx());
            return new Received(decodeChecked(() -> Patcher.patch(b, body, "upload", options.threads())), "update", bh, st.version());
        }
        return new Received(decodeChecked(() -> {
            Model m = io.nnzip.engine.ModelValidator.validate(OnnxReader.read(body, null), "upload");
            if (m.graph().initializers().isEmpty()) throw new NnzipException("the ONNX model has no initializers (weights) to store");
            return m;
        }), "onnx", null, null);
    }

    private static Model decodeChecked(java.util.function.Supplier<Model> s) {
        try {
            return s.get();
        } catch (HttpError e) {
            throw e;
        } catch (NnzipException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new HttpError(400, "corrupt upload: " + e.getMessage());
        }
    }

    private RepoIndex.Version store(String model, byte[] nnz, Model state, String source, String base) {
        byte[] onnx = OnnxWriter.toBytes(state);
        String nnzBlob = blobs.put(nnz), onnxBlob = blobs.put(onnx);
        String hash = ModelHash.hex(ModelHash.of(state));
        synchronized (this) {
            RepoIndex.ModelEntry e = index.models.computeIfAbsent(model, k -> new RepoIndex.ModelEntry());
            String name = Integer.toString(e.versions.size() + 1);
            RepoIndex.Version v = new RepoIndex.Version(name, nnzBlob, nnz.length, onnxBlob, onnx.length, hash, floatBytes(state),
                    Instant.now().toString(), source, base);
            e.versions.add(v);
            index.states.putIfAbsent(hash, new RepoIndex.State(model, name, onnxBlob));
            save();
            return v;
        }
    }

    static long floatBytes(Model m) {
        long n = 0;
        for (Tensor t : m.graph().initializers().values()) if (t.dtype() == DType.FLOAT) n += 4L * t.size();
        return n;
    }

    // ---- lookups ---------------------------------------------------------------------------------------------

    /** The version {@code v} of {@code model} ("latest" = the newest); 404 if either is unknown. */
    public synchronized RepoIndex.Version version(String model, String v) {
        RepoIndex.ModelEntry e = index.models.get(model);
        if (e == null || e.versions.isEmpty()) throw new HttpError(404, "unknown model '" + model + "'");
        if (v == null || v.equals("latest")) return e.versions.getLast();
        for (RepoIndex.Version x : e.versions) if (x.version().equals(v)) return x;
        throw new HttpError(404, "model '" + model + "' has no version '" + v + "' (it has 1.." + e.versions.size() + ")");
    }

    public synchronized RepoIndex.State state(String modelHash) { return index.states.get(modelHash); }

    Model readOnnx(String blob) { return OnnxReader.read(blobs.read(blob), null); }

    // ---- updates and bundles ---------------------------------------------------------------------------------

    /**
     * The update from the state named {@code fromHash} to {@code model}@{@code v}; 404 when the repository does not
     * know that state (the client then fetches the full stream). Computed once, then served from its blob.
     */
    public RepoIndex.Update update(String model, String v, String fromHash) {
        RepoIndex.Version target = version(model, v);
        if (fromHash == null || !fromHash.matches("[0-9a-f]{64}")) throw new HttpError(400, "'from' must be a 64-digit hex model hash");
        String key = fromHash + ":" + target.modelHash();
        synchronized (this) {
            RepoIndex.Update u = index.updates.get(key);
            if (u != null) return u;
            if (!index.states.containsKey(fromHash))
                throw new HttpError(404, "unknown base " + fromHash.substring(0, 16) + "…: this repository holds no such state; fetch the full stream");
        }
        return (RepoIndex.Update) once("update:" + key, () -> computeUpdate(key, fromHash, model, target));
    }

    private RepoIndex.Update computeUpdate(String key, String fromHash, String model, RepoIndex.Version target) {
        RepoIndex.State from = state(fromHash);
        Model base = readOnnx(from.onnx()), next = readOnnx(target.onnx());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffEncoder.diff(base, next, options, true, out);
        byte[] upd = out.toByteArray();
        Model result = Patcher.patch(base, upd, "update", options.threads());
        String resultHash = ModelHash.hex(ModelHash.of(result));
        String blob = blobs.put(upd);
        String resultOnnx = resultHash.equals(target.modelHash()) ? target.onnx() : blobs.put(OnnxWriter.toBytes(result));
        synchronized (this) {
            RepoIndex.Update u = new RepoIndex.Update(fromHash, model, target.version(), blob, upd.length, resultHash);
            index.updates.put(key, u);
            index.states.putIfAbsent(resultHash, new RepoIndex.State(model, target.version(), resultOnnx));
            save();
            return u;
        }
    }

    /** A bundle of the given versions ("model" or "model@version"), root chosen automatically; cached by content. */
    public RepoIndex.Pack pack(List<String> members) {
        if (members.isEmpty()) throw new HttpError(400, "name at least one model to pack");
        LinkedHashMap<String, RepoIndex.Version> vs = new LinkedHashMap<>();
        StringBuilder key = new StringBuilder();
        for (String m : members) {
            int at = m.indexOf('@');
            String name = at < 0 ? m : m.substring(0, at);
            RepoIndex.Version v = version(name, at < 0 ? "latest" : m.substring(at + 1));
            String label = name + "@" + v.version();
            if (vs.put(label, v) != null) throw new HttpError(400, label + " is named twice");
            key.append(label).append('=').append(v.modelHash()).append(';');
        }
        String k = BlobStore.sha256(key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        synchronized (this) {
            RepoIndex.Pack p = index.packs.get(k);
            if (p != null) return p;
        }
        return (RepoIndex.Pack) once("pack:" + k, () -> {
            LinkedHashMap<String, Model> models = new LinkedHashMap<>();
            vs.forEach((label, v) -> models.put(label, readOnnx(v.onnx())));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BundleCodec.Packed packed = BundleCodec.pack(models, "auto", options, out);
            String blob = blobs.put(out.toByteArray());
            synchronized (this) {
                RepoIndex.Pack p = new RepoIndex.Pack(blob, out.size(), packed.root());
                index.packs.put(k, p);
                save();
                return p;
            }
        });
    }

    // ---- federated rounds ------------------------------------------------------------------------------------

    /** FedAvg of round {@code round}'s contributions, weighted by their sample counts, published as the next version. */
    public Published aggregate(String model, String round) {
        List<RepoIndex.Contribution> cs;
        synchronized (this) {
            RepoIndex.ModelEntry e = index.models.get(model);
            if (e == null) throw new HttpError(404, "unknown model '" + model + "'");
            RepoIndex.Round rd = e.rounds.get(round);
            if (rd == null || rd.contributions.isEmpty()) throw new HttpError(404, "round " + round + " of " + model + " has no contributions");
            if (rd.aggregated != null) throw new HttpError(409, "round " + round + " was already aggregated into version " + rd.aggregated);
            cs = new ArrayList<>(rd.contributions);
        }
        List<Model> ms = new ArrayList<>();
        long[] w = new long[cs.size()];
        for (int i = 0; i < cs.size(); i++) {
            ms.add(receive(model, blobs.read(cs.get(i).blob())).model());
            w[i] = cs.get(i).samples();
        }
        Model avg = FedAvg.average(ms, w);
        byte[] nnz = NnzCodec.encode(avg, options);
        RepoIndex.Version v = store(model, nnz, NnzCodec.decode(nnz, model), "fedavg:" + round, cs.getFirst().base() == null ? null : state(cs.getFirst().base()).version());
        synchronized (this) {
            index.models.get(model).rounds.get(round).aggregated = v.version();
            save();
        }
        return new Published(model, v.version(), v.modelHash(), v.nnzBytes(), "fedavg", round);
    }

    // ---- internals -------------------------------------------------------------------------------------------

    private Object once(String key, java.util.function.Supplier<Object> work) {
        CompletableFuture<Object> mine = new CompletableFuture<>();
        CompletableFuture<Object> f = inFlight.putIfAbsent(key, mine);
        if (f == null) {
            try {
                mine.complete(work.get());
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            } finally {
                inFlight.remove(key);
            }
            f = mine;
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    private void save() {
        try {
            blobs.replace(indexFile, JSON.writeValueAsBytes(index));
        } catch (IOException e) {
            throw new NnzipException("cannot write " + indexFile + ": " + e.getMessage(), e);
        }
    }
}
