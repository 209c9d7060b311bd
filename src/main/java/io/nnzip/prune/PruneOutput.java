package io.nnzip.prune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Version;
import io.nnzip.prune.dep.PrunePlan;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a prune leaves behind besides the model: provenance in the model's metadata, and the plan as JSON. */
public final class PruneOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PruneOutput() {}

    /** {@code nnzip.prune.tool / options / time} in metadata_props; options as sorted key=value pairs. */
    public static void record(Model m, Map<String, ?> options) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(options).forEach((k, v) -> {
            if (v == null) return;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(k).append('=').append(v);
        });
        m.metadata().put("nnzip.prune.tool", "nnzip " + Version.VERSION + " (Java " + Runtime.version().feature() + ", "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")");
        m.metadata().put("nnzip.prune.options", sb.toString());
        m.metadata().put("nnzip.prune.time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.setProducerName("nnzip");
        m.setProducerVersion(Version.VERSION);
    }

    /** The plans of a prune's steps as a JSON array (one element per step); replayable in order. */
    public static byte[] planBytes(List<PrunePlan> plans) {
        List<Object> steps = new ArrayList<>();
        for (PrunePlan p : plans) steps.add(p.toJson());
        try {
            return JSON.writeValueAsBytes(Map.of("nnzip_prune_plan", 1, "steps", steps));
        } catch (IOException e) {
            throw new NnzipException("cannot encode plan: " + e.getMessage());
        }
    }

    /** The steps of a plan file written by {@link #planBytes}. */
    @SuppressWarnings("unchecked")
    public static List<PrunePlan> readPlans(Path file) {
        try {
            Map<String, Object> j = JSON.readValue(file.toFile(), Map.class);
            if (!j.containsKey("steps")) throw new NnzipException(file + " is not an nnzip prune plan (no 'steps')");
            List<PrunePlan> out = new ArrayList<>();
            for (Object s : (List<Object>) j.get("steps")) out.add(PrunePlan.fromJson((Map<String, Object>) s));
            return out;
        } catch (IOException e) {
            throw new NnzipException("cannot read plan " + file + ": " + e.getMessage());
        }
    }
}
