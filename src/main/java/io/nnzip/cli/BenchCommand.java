package io.nnzip.cli;

import io.nnzip.eval.bench.CnnModel;
import io.nnzip.eval.bench.ConvBench;
import io.nnzip.eval.bench.GemmBench;
import io.nnzip.eval.bench.LayerBreakdown;
import io.nnzip.eval.bench.ModelBench;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.engine.ModelValidator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Speed of the engine against ONNX Runtime, measured in the same run.",
                "  bench gemm [--sizes 512,1024] [--threads 1,2]   SGEMM GFLOP/s",
                "  bench conv [--batch 64] [--threads 1,2]         Conv layer GFLOP/s",
                "  bench cnn [--batch 256] [--threads N]           built-in Fashion-MNIST CNN, ms per forward pass",
                "  bench MODEL.onnx --input x.npy|x.npz [--threads N] [--iters K]"})
public final class BenchCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "WHAT", description = "gemm, conv, cnn, or an ONNX model file.")
    String what;

    @Option(names = "--sizes", split = ",", defaultValue = "512,1024", description = "Square GEMM sizes (default ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--threads", split = ",", paramLabel = "N", description = "Threads (gemm/conv: a list to compare, default 1,2; model/cnn: one, default all cores).")
    int[] threads;

    @Option(names = "--batch", description = "Batch size (cnn: default 256; conv: default 64).")
    Integer batch;

    @Option(names = "--input", description = "Model input: a .npy for the single input, or a .npz keyed by input name.")
    Path input;

    @Option(names = {"--per-layer", "--layers"}, description = "cnn/model: also time each layer in both engines (ORT by its profiler).")
    boolean layers;

    @Option(names = "--iters", defaultValue = "20", description = "Timed rounds per side (model/cnn: one forward pass each; default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--round-ms", defaultValue = "0", description = "model/cnn: each timed round runs back-to-back passes for at least this many ms "
            + "after its pause (steady throughput); 0 = one pass per round, a cold call (default ${DEFAULT-VALUE}).")
    double roundMs;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("benchmark", what);
        r.put("machine", machine());
        switch (what) {
            case "gemm" -> r.put("results", GemmBench.run(sizes, threadList(), iters, 50));
            case "conv" -> r.put("results", ConvBench.run(batch == null ? 64 : batch, threadList(), iters, 50));
            case "cnn" -> {
                int n = batch == null ? 256 : batch;
                r.put("batch", n);
                Model m = CnnModel.build(1);
                Map<String, Tensor> feeds = Map.of("x", CnnModel.input(n, 2));
                r.putAll(ModelBench.run(m, feeds, oneThreadCount(), iters, 2000, roundMs));
                if (layers) r.putAll(LayerBreakdown.run(m, feeds, oneThreadCount(), iters));
            }
            default -> {
                Path p = Path.of(what);
                if (!Files.exists(p)) throw new NnzipException("bench: '" + what + "' is not gemm, conv, cnn or an existing model file");
                if (input == null) throw new NnzipException("bench " + what + ": --input x.npy|x.npz is required for a model");
                Model m = ModelValidator.read(p);
                r.put("model", p.toString());
                Map<String, Tensor> feeds = feeds(m);
                r.putAll(ModelBench.run(m, feeds, oneThreadCount(), iters, 2000, roundMs));
                if (layers) r.putAll(LayerBreakdown.run(m, feeds, oneThreadCount(), iters));
            }
        }
        return r;
    }

    private int[] threadList() { return threads == null ? new int[] {1, 2} : threads; }

    private int oneThreadCount() {
        if (threads != null && threads.length != 1) throw new NnzipException("bench " + what + ": --threads takes one count here");
        return threads == null ? Runtime.getRuntime().availableProcessors() : threads[0];
    }

    private Map<String, Tensor> feeds(Model m) {
        List<ValueInfo> ins = m.graph().runtimeInputs();
        String name = input.getFileName().toString();
        if (name.endsWith(".npz")) return Npy.readNpz(input);
        if (ins.size() != 1) throw new NnzipException("bench: the model has " + ins.size() + " inputs; pass a .npz keyed by input name");
        return Map.of(ins.get(0).name(), Npy.read(input));
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", Runtime.version().toString());
        m.put("os_arch", System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        m.put("vector_lanes_fp32", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length());
        return m;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        if (r.get("results") instanceof List<?> rows) {
            for (Object o : rows) {
                Map<String, Object> row = (Map<String, Object>) o;
                String head = row.containsKey("size") ? "gemm " + row.get("size") + "³" : row.get("layer") + " (" + row.get("shape") + ")";
                out.printf("%-44s threads=%s  ours %7.1f GFLOP/s (median %.1f)  ORT %7.1f (median %.1f)  ours/ORT %.2f%s%n", head, row.get("threads"),
                        row.get("engine_gflops"), row.get("engine_gflops_median"), row.get("ort_gflops"), row.get("ort_gflops_median"), row.get("ratio"),
                        row.containsKey("ratio_cpu") ? String.format("  [by CPU time: ours %.1f, ORT %.1f, ratio %.2f]", row.get("engine_gflops_cpu"), row.get("ort_gflops_cpu"), row.get("ratio_cpu")) : "");
            }
            return;
        }
        out.printf("%s%s threads=%s: engine %.3f ms (median %.3f), ORT %.3f ms (median %.3f), engine/ORT %.3f (median %.3f); max |diff| %.2g%n",
                r.get("benchmark"), r.containsKey("batch") ? " batch=" + r.get("batch") : "", r.get("threads"), r.get("engine_ms"), r.get("engine_ms_median"),
                r.get("ort_ms"), r.get("ort_ms_median"), r.get("ratio"), r.get("ratio_median"), r.get("max_abs_diff"));
        if (r.containsKey("ratio_cpu"))
            out.printf("  by calling-thread CPU time: engine %.3f ms, ORT %.3f ms, engine/ORT %.3f%n", r.get("engine_cpu_ms"), r.get("ort_cpu_ms"), r.get("ratio_cpu"));
        for (String side : new String[] {"engine_layers", "ort_layers"}) {
            if (!(r.get(side) instanceof List<?> rows)) continue;
            out.println(side.startsWith("engine") ? "engine layers (median ms, best ms[, best CPU ms]):" : "ORT layers (median ms, best ms):");
            for (Object o : rows) {
                Map<String, Object> row = (Map<String, Object>) o;
                out.printf("  %-28s %-22s %8.3f %8.3f%s%n", row.get("node"), row.get("op"), row.get("ms_median"), row.get("ms_best"),
                        row.containsKey("cpu_ms_best") ? String.format(" %8.3f", row.get("cpu_ms_best")) : "");
            }
        }
    }
}
