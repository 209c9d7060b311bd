package io.nnzip.lowrank;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.ir.Model;
import io.nnzip.ir.Version;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records what a pass did in the output model's metadata: under {@code nnzip.<pass>} a JSON object with the
 * tool version, JVM, OS/arch, the full option set with each option's description, and the pass's summary.
 */
public final class Provenance {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {}

    public static void record(Model m, String pass, Map<String, Object> options, Map<String, String> descriptions, Map<String, Object> summary) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "nnzip " + Version.VERSION);
        r.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
        r.put("os", System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        r.put("options", options);
        r.put("option_descriptions", descriptions);
        if (summary != null) r.put("summary", summary);
        try {
            m.metadata().put("nnzip." + pass, JSON.writeValueAsString(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("metadata is not serializable: " + e.getMessage(), e);
        }
    }
}
