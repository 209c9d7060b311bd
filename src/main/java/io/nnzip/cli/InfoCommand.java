package io.nnzip.cli;

import io.nnzip.eval.Bottleneck;
import io.nnzip.eval.ModelStats;
import io.nnzip.ir.Model;
import io.nnzip.ir.ValueInfo;
import io.nnzip.engine.ModelValidator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Inputs, outputs, opset, op counts, parameters, bytes, MACs and sparsity of an ONNX model.")
public final class InfoCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model.")
    Path model;

    @Option(names = "--batch", defaultValue = "1", description = "Value for symbolic batch dims when counting MACs (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--tensors", description = "List every initializer (text output).")
    boolean listTensors;

    @Option(names = "--bottleneck", description = "Storage, MACs and peak activation memory per layer (execution order), which dominates and what addresses it.")
    boolean bottleneck;

    @Option(names = "--balance", defaultValue = "8", description = "--bottleneck: MACs per byte of memory traffic the target sustains (default ${DEFAULT-VALUE}).")
    double balance;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = ModelValidator.read(model);
        ModelStats s = ModelStats.of(m, batch);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        r.put("file_bytes", Files.size(model));
        r.put("ir_version", m.irVersion());
        r.put("opsets", m.opsets());
        r.put("producer", (m.producerName() + " " + m.producerVersion()).trim());
        r.put("inputs", describe(m.graph().runtimeInputs()));
        r.put("outputs", describe(m.graph().outputs()));
        r.put("nodes", m.graph().nodes().size());
        if (!m.metadata().isEmpty()) r.put("metadata", m.metadata());
        r.putAll(s.toJson());
        if (bottleneck) r.put("bottleneck", Bottleneck.of(m, batch, balance).toJson());
        return r;
    }

    private static List<Map<String, Object>> describe(List<ValueInfo> vs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ValueInfo v : vs) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", v.name());
            x.put("dtype", v.dtype() == null ? null : v.dtype().lower());
            x.put("shape", v.shapeString());
            out.add(x);
        }
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s  (%s bytes, ir %s, opsets %s, producer %s)%n", r.get("model"), r.get("file_bytes"), r.get("ir_version"), r.get("opsets"), r.get("producer"));
        for (Map<String, Object> v : (List<Map<String, Object>>) r.get("inputs")) out.printf("  input  %-20s %s %s%n", v.get("name"), v.get("dtype"), v.get("shape"));
        for (Map<String, Object> v : (List<Map<String, Object>>) r.get("outputs")) out.printf("  output %-20s %s %s%n", v.get("name"), v.get("dtype"), v.get("shape"));
        out.printf("nodes: %s  %s%n", r.get("nodes"), r.get("op_counts"));
        out.printf("params: %,d   bytes: %,d   sparsity: %.2f%%   MACs: %,d%s%n", (Long) r.get("params"), (Long) r.get("bytes"),
                100 * (Double) r.get("sparsity"), (Long) r.get("macs"), r.containsKey("macs_note") ? "  (" + r.get("macs_note") + ")" : "");
        List<Map<String, Object>> layers = (List<Map<String, Object>>) r.get("layers");
        if (!layers.isEmpty()) {
            out.println("layer MACs:");
            for (Map<String, Object> l : layers) out.printf("  %-32s %-14s %,15d  -> %s%n", l.get("node"), l.get("op"), (Long) l.get("macs"), l.get("output_shape"));
        }
        List<Map<String, Object>> ts = (List<Map<String, Object>>) r.get("tensors");
        if (listTensors || ts.size() <= 40) {
            out.println("tensors:");
            for (Map<String, Object> t : ts)
                out.printf("  %-32s %-8s %-18s %,12d params %,12d bytes  %5.1f%% zeros%n", t.get("name"), t.get("dtype"),
                        java.util.Arrays.toString((int[]) t.get("shape")), (Long) t.get("params"), (Long) t.get("bytes"), 100 * (Double) t.get("sparsity"));
        } else out.printf("(%d tensors; --tensors lists them)%n", ts.size());
        if (r.get("bottleneck") instanceof Map<?, ?> b) BottleneckReport.print((Map<String, Object>) b, out);
    }
}
