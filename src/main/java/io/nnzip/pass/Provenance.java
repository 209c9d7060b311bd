package io.nnzip.pass;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Version;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one provenance format: every pass records how it made a model in the model's ONNX metadata_props, under
 * {@code nnzip.<pass>}, as one JSON object, so a result can be reproduced from its own file:
 * <pre>
 * {"tool": "nnzip 0.1.0 (Java 25, Linux/amd64)", "time": "2026-01-01T00:00:00Z",
 *  "options": {...every config field...}, "option_descriptions": {...}, "data": "...", "summary": {...}}
 * </pre>
 */
public final class Provenance {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {}

    public static String tool() {
        return "nnzip " + Version.VERSION + " (Java " + Runtime.version().feature() + ", " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")";
    }

    /** Records a config's options (with their descriptions) and a summary; returns what was written. */
    public static Map<String, Object> record(Model m, String pass, Object config, Map<String, ?> extraOptions, Map<String, Object> summary) {
        Map<String, Object> options = new LinkedHashMap<>(Configs.toMap(config));
        if (extraOptions != null) extraOptions.forEach((k, v) -> {
            if (v != null) options.put(k, v);
        });
        return record(m, pass, options, Configs.describe(config.getClass()), summary);
    }

    /** Records options (null values left out), their descriptions (may be null) and a summary (may be null). */
    public static Map<String, Object> record(Model m, String pass, Map<String, ?> options, Map<String, String> descriptions, Map<String, Object> summary) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", tool());
        r.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, Object> opts = new LinkedHashMap<>();
        options.forEach((k, v) -> {
            if (v != null) opts.put(k, v);
        });
        r.put("options", opts);
        if (descriptions != null && !descriptions.isEmpty()) r.put("option_descriptions", descriptions);
        if (summary != null) r.put("summary", summary);
        try {
            m.metadata().put("nnzip." + pass, JSON.writeValueAsString(r));
        } catch (JsonProcessingException e) {
            throw new NnzipException("provenance of " + pass + " is not serializable: " + e.getOriginalMessage());
        }
        m.setProducerName("nnzip");
        m.setProducerVersion(Version.VERSION);
        return r;
    }

    /**
     * What a stream keeps of {@code m}'s pass records: {@code full} all of them; {@code compact} each record without
     * its option descriptions (they follow from the tool version, and are most of a record: 4.4 kB of quantize's
     * 4.5 kB); {@code none} no pass records. Metadata that is not a pass record (the input normalization, an anytime
     * model's exits) always stays. Changes {@code m} in place and returns it.
     */
    @SuppressWarnings("unchecked")
    public static Model keep(Model m, String mode) {
        if (!MODES.contains(mode)) throw new NnzipException("provenance must be one of " + MODES + ", not '" + mode + "'");
        if (mode.equals("full")) return m;
        var it = m.metadata().entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getKey().startsWith("nnzip.") || e.getKey().equals("nnzip.dynamic")) continue;
            Map<String, Object> r;
            try {
                r = JSON.readValue(e.getValue(), Map.class);
            } catch (JsonProcessingException | ClassCastException ex) {
                continue; // not a JSON object: not a pass record
            }
            if (!(r.containsKey("tool") && r.containsKey("options"))) continue;
            if (mode.equals("none")) {
                it.remove();
                continue;
            }
            r.remove("option_descriptions");
            try {
                e.setValue(JSON.writeValueAsString(r));
            } catch (JsonProcessingException ex) {
                throw new NnzipException("provenance record " + e.getKey() + " is not serializable: " + ex.getOriginalMessage());
            }
        }
        return m;
    }

    /** The values {@link #keep} accepts. */
    public static final java.util.List<String> MODES = java.util.List.of("full", "compact", "none");

    /** The record a pass left in {@code m}, or null. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(Model m, String pass) {
        String s = m.metadata().get("nnzip." + pass);
        if (s == null) return null;
        try {
            return JSON.readValue(s, Map.class);
        } catch (JsonProcessingException e) {
            throw new NnzipException("metadata nnzip." + pass + " is not a provenance record: " + e.getOriginalMessage());
        }
    }
}
