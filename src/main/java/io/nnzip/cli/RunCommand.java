package io.nnzip.cli;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Parallel;
import io.nnzip.eval.OrtRunner;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import io.nnzip.engine.ModelValidator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs a model on NumPy inputs with nnzip's engine or ONNX Runtime and writes the outputs.")
public final class RunCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model.")
    Path model;

    @Option(names = "--input", required = true, description = "x.npy (feeds the first input) or x.npz (array names = input names).")
    Path input;

    @Option(names = {"-o", "--output"}, description = "Where to write outputs: y.npy (first output) or y.npz (all outputs).")
    Path output;

    @Option(names = "--runtime", defaultValue = "engine", description = "engine or ort (default ${DEFAULT-VALUE}).")
    String runtime;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).")
    int threads = OptionRules.CORES;

    @Option(names = "--early-exit", paramLabel = "THRESHOLD",
            description = "Anytime model from 'nnzip dynamic': each sample stops at the first exit whose top softmax probability reaches THRESHOLD (outputs logits, exit, macs).")
    Double earlyExit;

    @Override
    protected Map<String, Object> execute() {
        Model m = ModelValidator.read(model);
        Map<String, Tensor> feeds = feeds(m, Npy.readAny(input), input);
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (earlyExit != null && !runtime.equals("engine"))
            throw new NnzipException("--early-exit runs on --runtime engine (ONNX Runtime cannot stop a graph part-way)");
        long t0 = System.nanoTime();
        Map<String, Tensor> outs = switch (runtime) {
            case "engine" -> {
                try (Parallel p = new Parallel(t)) {
                    yield earlyExit != null ? new io.nnzip.arch.EarlyExitRunner(m, p).run(feeds, earlyExit)
                            : new Executor(io.nnzip.engine.Fusion.forInference(m), p).run(feeds);
                }
            }
            case "ort" -> {
                try (OrtRunner r = new OrtRunner(m, t)) {
                    yield r.run(feeds);
                }
            }
            default -> throw new NnzipException("--runtime must be engine or ort, not '" + runtime + "'");
        };
        double ms = (System.nanoTime() - t0) / 1e6;
        if (output != null) {
            if (output.toString().endsWith(".npz")) Npy.writeNpz(output, outs);
            else Npy.write(output, outs.values().iterator().next());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("runtime", runtime);
        r.put("ms", ms);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : outs.entrySet()) list.add(summary(e.getKey(), e.getValue()));
        r.put("outputs", list);
        if (output != null) r.put("written", output.toString());
        return r;
    }

    /** Maps arrays to graph inputs: an .npy's single array feeds the first input; .npz names must match. */
    static Map<String, Tensor> feeds(Model m, Map<String, Tensor> arrays, Path from) {
        List<ValueInfo> ins = m.graph().runtimeInputs();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        if (arrays.size() == 1 && arrays.containsKey("")) {
            if (ins.isEmpty()) throw new NnzipException("the model has no inputs to feed");
            if (ins.size() > 1) throw new NnzipException("the model has " + ins.size() + " inputs " + ins.stream().map(ValueInfo::name).toList() + "; pass an .npz with one array per input");
            feeds.put(ins.get(0).name(), arrays.get(""));
            return feeds;
        }
        for (ValueInfo v : ins) {
            Tensor t = arrays.get(v.name());
            if (t == null) throw new NnzipException(from + " has no array named '" + v.name() + "' (it has " + arrays.keySet() + ")");
            feeds.put(v.name(), t);
        }
        return feeds;
    }

    static Map<String, Object> summary(String name, Tensor t) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("name", name);
        x.put("dtype", t.dtype().lower());
        x.put("shape", t.shape());
        if (t.dtype() != io.nnzip.ir.DType.STRING && t.size() > 0) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < t.size(); i++) {
                double v = t.getDouble(i);
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            x.put("min", min);
            x.put("max", max);
            x.put("mean", sum / t.size());
        }
        return x;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("ran with %s in %.2f ms%n", r.get("runtime"), (Double) r.get("ms"));
        for (Map<String, Object> o : (List<Map<String, Object>>) r.get("outputs"))
            out.printf("  %-20s %s %s  min %s max %s mean %s%n", o.get("name"), o.get("dtype"), java.util.Arrays.toString((int[]) o.get("shape")), o.get("min"), o.get("max"), o.get("mean"));
        if (r.containsKey("written")) out.println("wrote " + r.get("written"));
    }
}
