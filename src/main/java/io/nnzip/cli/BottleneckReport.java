package io.nnzip.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** Text form of {@code info --bottleneck}: per-layer table, the peak's live tensors, the verdict. */
final class BottleneckReport {
    private BottleneckReport() {}

    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> b, PrintStream out) {
        out.printf("bottleneck (batch %s):%n", b.get("batch"));
        out.printf("  %-4s %-30s %-14s %14s %16s %14s %14s%n", "step", "node", "op", "weight bytes", "MACs", "output bytes", "live bytes");
        for (Map<String, Object> l : (List<Map<String, Object>>) b.get("layers"))
            out.printf("  %-4s %-30s %-14s %,14d %,16d %,14d %,14d%s%n", l.get("step"), l.get("node"), l.get("op"), (Long) l.get("param_bytes"),
                    (Long) l.get("macs"), (Long) l.get("output_bytes"), (Long) l.get("live_bytes"), l.get("step").equals(b.get("peak_step")) ? "  <- peak" : "");
        out.printf("peak activation memory %,d bytes at step %s (%s), live there:%n", (Long) b.get("peak_activation_bytes"), b.get("peak_step"), b.get("peak_node"));
        for (Map<String, Object> t : (List<Map<String, Object>>) b.get("peak_tensors")) out.printf("  %-32s %-20s %,14d bytes%n", t.get("name"), t.get("shape"), (Long) t.get("bytes"));
        out.printf("storage %,d bytes · compute %,d MACs (= %,d bytes of traffic at %s MACs/byte) · activations %,d bytes moved per batch%n",
                (Long) b.get("storage_bytes"), (Long) b.get("macs"), (Long) b.get("compute_byte_equivalent"), b.get("balance_macs_per_byte"), (Long) b.get("activation_traffic_bytes"));
        out.printf("dominant: %s -> %s%n", b.get("dominant"), b.get("methods"));
        if (b.get("note") != null) out.println("note: " + b.get("note"));
    }
}
