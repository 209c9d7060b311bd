import ai.onnxruntime.*;
import com.fasterxml.jackson.databind.*;
import java.nio.FloatBuffer;
import java.nio.file.*;
import java.util.*;

/**
 * ONNX Runtime kernel time per op type (ms per run) of several models, their runs interleaved so load changes hit all
 * of them alike: by default the minimum per node over RUNS runs, summed by op type (under load some run of each short
 * kernel goes unpreempted, so the minimum is the better idle proxy; it leaves out ORT's per-node dispatch);
 * -Dstat=mean the mean per run instead. Node counts in brackets. Random input of the first model's input shape
 * (-1 dims = 256). -Dthreads=N intra-op threads (default 2), -Dspin=1 ORT's default spinning (off otherwise, see
 * OrtLatency.java), -Ddump=1 writes ORT's optimized graph to /tmp/ort-opt-NAME.onnx.
 * Run: source scripts/java-env.sh && java -cp "target/nnzip.jar:target/lib/*" scripts/OrtOpProfile.java RUNS a.onnx b.onnx ...
 */
public class OrtOpProfile {
    public static void main(String[] a) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int runs = Integer.parseInt(a[0]);
        boolean mean = System.getProperty("stat", "min").equals("mean");
        List<OrtSession> ss = new ArrayList<>();
        for (int m = 1; m < a.length; m++) {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(Integer.getInteger("threads", 2)); o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", Integer.getInteger("spin", 0) == 1 ? "1" : "0");
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (Integer.getInteger("dump", 0) == 1) o.setOptimizedModelFilePath("/tmp/ort-opt-" + Path.of(a[m]).getFileName());
            o.enableProfiling("/tmp/nnzip-ortopprof" + m);
            ss.add(env.createSession(a[m], o));
        }
        long[] shape = ((TensorInfo) ss.get(0).getInputInfo().values().iterator().next().getInfo()).getShape();
        int size = 1;
        for (int i = 0; i < shape.length; i++) { if (shape[i] < 0) shape[i] = 256; size *= (int) shape[i]; }
        float[] x = new float[size]; Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
        for (int k = 0; k < runs; k++) for (OrtSession s : ss) try (var res = s.run(Map.of(s.getInputNames().iterator().next(), t))) {}
        List<Map<String, Double>> all = new ArrayList<>();
        Set<String> ops = new TreeSet<>();
        for (OrtSession s : ss) {
            String f = s.endProfiling();
            JsonNode root = new ObjectMapper().readTree(Files.readString(Path.of(f)));
            Map<String, Double> perNode = new HashMap<>(); Map<String, String> opOf = new HashMap<>();
            for (JsonNode e : root) {
                String name = e.path("name").asText();
                if (!"Node".equals(e.path("cat").asText()) || !name.endsWith("_kernel_time")) continue;
                perNode.merge(name, e.path("dur").asDouble() / 1000.0 / (mean ? runs : 1), mean ? Double::sum : Math::min);
                opOf.put(name, e.path("args").path("op_name").asText());
            }
            Map<String, Double> byOp = new TreeMap<>();
            String show = System.getProperty("nodes");
            for (var en : new TreeMap<>(perNode).entrySet())
                if (opOf.get(en.getKey()).equals(show)) System.out.printf("%-70s %8.3f%n", en.getKey(), en.getValue());
            for (var en : perNode.entrySet()) {
                String op = opOf.get(en.getKey());
                byOp.merge(op, en.getValue(), Double::sum);
                byOp.merge("#" + op, 1.0, Double::sum);
                byOp.merge("TOTAL", en.getValue(), Double::sum);
            }
            all.add(byOp); ops.addAll(byOp.keySet());
            Files.deleteIfExists(Path.of(f));
        }
        System.out.printf("%-24s", "op"); for (int m = 1; m < a.length; m++) System.out.printf(" %15s", Path.of(a[m]).getFileName().toString().replace(".onnx", "")); System.out.println();
        for (String op : ops) {
            if (op.startsWith("#") || all.stream().mapToDouble(b -> b.getOrDefault(op, 0.0)).max().orElse(0) < 0.02) continue;
            System.out.printf("%-24s", op);
            for (var b : all) System.out.printf(" %10.2f (%2.0f)", b.getOrDefault(op, 0.0), b.getOrDefault("#" + op, 0.0));
            System.out.println();
        }
        System.out.printf("%-24s", "ratio to first"); for (var b : all) System.out.printf(" %15.3f", b.get("TOTAL") / all.get(0).get("TOTAL")); System.out.println();
    }
}
