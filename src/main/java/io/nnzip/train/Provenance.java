package io.nnzip.train;

import io.nnzip.ir.Model;
import io.nnzip.ir.Version;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;

/**
 * Records how a model was made in its ONNX metadata_props, so a result can be reproduced from its own file:
 * <pre>
 * nnzip.&lt;step&gt;.tool    = "nnzip 0.1.0 (Java 25, Linux/amd64)"
 * nnzip.&lt;step&gt;.options = "epochs=3 lr=0.001 ..."  (sorted key=value pairs)
 * nnzip.&lt;step&gt;.time    = ISO-8601 UTC
 * </pre>
 */
public final class Provenance {
    private Provenance() {}

    public static String tool() {
        return "nnzip " + Version.VERSION + " (Java " + Runtime.version().feature() + ", " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")";
    }

    public static void record(Model m, String step, Map<String, ?> options) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(options).forEach((k, v) -> {
            if (v == null) return;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(k).append('=').append(v);
        });
        m.metadata().put("nnzip." + step + ".tool", tool());
        m.metadata().put("nnzip." + step + ".options", sb.toString());
        m.metadata().put("nnzip." + step + ".time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.setProducerName("nnzip");
        m.setProducerVersion(Version.VERSION);
    }
}
