package io.nnzip.eval.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a forward pass spends its time, layer by layer, in our engine and in ONNX Runtime. Ours: the median over
 * the runs of each (fused) node's wall time, from {@link Executor.Listener}, and with one thread also its best
 * calling-thread CPU time (robust on a loaded machine). ORT: the median of each node's kernel
 * time from ORT's own profiler (its graph is fused its own way, e.g. Conv+BN+ReLU into one FusedConv, so the two
 * lists line up by position in the network rather than node for node).
 */
public final class LayerBreakdown {
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private LayerBreakdown() {}

    public static Map<String, Object> run(Model m, Map<String, Tensor> feeds, int threads, int runs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("engine_layers", ours(m, feeds, threads, runs));
        r.put("ort_layers", ort(m, feeds, threads, runs));
        return r;
    }

    private static List<Map<String, Object>> ours(Model m, Map<String, Tensor> feeds, int threads, int runs) {
        Model fused = Fusion.forInference(m);
        Map<String, List<Double>> times = new LinkedHashMap<>(), cpu = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        long[] lastCpu = {0};
        try (Parallel par = new Parallel(threads)) {
            Executor ex = new Executor(fused, par);
            for (int i = 0; i < 5; i++) ex.run(feeds);
            ex.setListener((Node n, Tensor[] in, Tensor[] out, long nanos) -> {
                String key = n.name().isEmpty() ? n.output(0) : n.name();
                types.put(key, describe(n));
                times.computeIfAbsent(key, k -> new ArrayList<>()).add(nanos / 1e6);
                long now = THREADS.getCurrentThreadCpuTime();
                cpu.computeIfAbsent(key, k -> new ArrayList<>()).add((now - lastCpu[0]) / 1e6);
                lastCpu[0] = now;
            });
            for (int i = 0; i < runs; i++) {
                lastCpu[0] = THREADS.getCurrentThreadCpuTime();
                ex.run(feeds);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        times.forEach((k, v) -> {
            Map<String, Object> row = row(k, types.get(k), v);
            // one thread: the node ran on this thread, so its CPU time is immune to being descheduled
            if (threads == 1) row.put("cpu_ms_best", ModelBench.round3(cpu.get(k).stream().mapToDouble(Double::doubleValue).min().orElse(0)));
            rows.add(row);
        });
        return rows;
    }

    private static String describe(Node n) {
        StringBuilder s = new StringBuilder(n.opType());
        if (n.has(Fusion.RELU)) s.append("+Relu");
        if (n.has(Fusion.MAXPOOL)) s.append("+MaxPool");
        return s.toString();
    }

    private static List<Map<String, Object>> ort(Model m, Map<String, Tensor> feeds, int threads, int runs) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, List<Double>> times = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        try {
            Path dir = Files.createTempDirectory("nnzip-ortprof");
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setIntraOpNumThreads(Math.max(1, threads));
            o.setInterOpNumThreads(1);
            o.enableProfiling(dir.resolve("prof").toString());
            Map<String, OnnxTensor> inputs = new HashMap<>();
            for (Map.Entry<String, Tensor> e : feeds.entrySet()) {
                long[] shape = Arrays.stream(e.getValue().shape()).mapToLong(i -> i).toArray();
                inputs.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().floats()), shape));
            }
            String file;
            try (OrtSession s = env.createSession(OnnxWriter.toBytes(m), o)) {
                for (int i = 0; i < 5 + runs; i++) s.run(inputs).close();
                file = s.endProfiling();
            } finally {
                inputs.values().forEach(OnnxTensor::close);
            }
            JsonNode events = new ObjectMapper().readTree(Path.of(file).toFile());
            Map<String, Integer> seen = new HashMap<>();
            for (JsonNode e : events) {
                String name = e.path("name").asText();
                if (!"Node".equals(e.path("cat").asText()) || !name.endsWith("_kernel_time")) continue;
                String key = name.substring(0, name.length() - "_kernel_time".length());
                // the first 5 runs are warm-up
                if (seen.merge(key, 1, Integer::sum) <= 5) continue;
                types.put(key, e.path("args").path("op_name").asText());
                times.computeIfAbsent(key, k -> new ArrayList<>()).add(e.path("dur").asDouble() / 1e3);
            }
            Files.deleteIfExists(Path.of(file));
            Files.deleteIfExists(dir);
        } catch (OrtException | java.io.IOException e) {
            throw new NnzipException("ONNX Runtime profiling failed: " + e.getMessage().lines().findFirst().orElse(""));
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        times.forEach((k, v) -> rows.add(row(k, types.get(k), v)));
        return rows;
    }

    private static Map<String, Object> row(String name, String type, List<Double> ms) {
        double[] v = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("node", name);
        row.put("op", type);
        row.put("ms_median", ModelBench.round3(v[v.length / 2]));
        row.put("ms_best", ModelBench.round3(v[0]));
        return row;
    }
}
