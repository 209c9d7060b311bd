package io.nnzip.prune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.nnzip.ir.NnzipException;
import io.nnzip.prune.dep.PrunePlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The plan a structured prune leaves behind besides the model, as JSON (provenance is {@link io.nnzip.pass.Provenance}). */
public final class PruneOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PruneOutput() {}

    /** The plans of a prune's steps as a JSON array (one element per step); replayable in order. */
    public static byte[] planBytes(List<PrunePlan> plans) {
        List<Object> steps = new ArrayList<>();
        for (PrunePlan p : plans) steps.add(p.toJson());
        try {
            // Map.of iterates in a per-JVM random order, so one plan came out as different files
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("nnzip_prune_plan", 1);
            file.put("steps", steps);
            return JSON.writeValueAsBytes(file);
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
