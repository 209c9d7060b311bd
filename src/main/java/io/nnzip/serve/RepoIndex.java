package io.nnzip.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the repository holds, persisted as {@code index.json} and replaced whole (temp file + rename) after every
 * change, so a crash leaves either the old or the new index. Blobs are named by content hash; "model hashes" are
 * {@link io.nnzip.codec.ModelHash}es of the weights a receiver holds, which is what updates are keyed by.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class RepoIndex {
    /** One published version: its .nnz and ONNX blobs and the hash of the model a receiver decodes from them. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Version(String version, String nnz, long nnzBytes, String onnx, long onnxBytes, String modelHash,
                          long floatBytes, String published, String source, String base) {}

    /** A model state some receiver may hold: a version as decoded, or a version as reached through an update. */
    public record State(String model, String version, String onnx) {}

    /** A cached update from the state {@code from} to a version; {@code result} is the model hash patching yields. */
    public record Update(String from, String model, String version, String blob, long bytes, String result) {}

    /** A cached bundle of several versions against the root the packer chose. */
    public record Pack(String blob, long bytes, String root) {}

    /** One client's pushed contribution to a federated round (an update against {@code base}, or a full model). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Contribution(String blob, long bytes, long samples, String base, String received) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Round {
        public List<Contribution> contributions = new ArrayList<>();
        public String aggregated;
    }

    public static final class ModelEntry {
        public List<Version> versions = new ArrayList<>();
        public Map<String, Round> rounds = new TreeMap<>();
    }

    public Map<String, ModelEntry> models = new TreeMap<>();
    public Map<String, State> states = new TreeMap<>();
    public Map<String, Update> updates = new TreeMap<>();
    public Map<String, Pack> packs = new TreeMap<>();
}
