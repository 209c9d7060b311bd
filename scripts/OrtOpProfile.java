import ai.onnxruntime.*;
import com.fasterxml.jackson.databind.*;
import java.nio.FloatBuffer;
import java.nio.file.*;
import java.util.*;

/**
 * ONNX Runtime kernel time per op type (ms per run) of several models, their runs interleaved so load changes hit all
 * of them alike; batch 256 of random (1,28,28) images, 2 intra-op threads, spinning off (see OrtLatency.java).
 * Run: source scripts/java-env.sh && $JAVA_HOME/bin/java -cp target/nnzip-run.jar scripts/OrtOpProfile.java RUNS a.onnx b.onnx ...
 */
public class OrtOpProfile {
    public static void main(String[] a) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int runs = Integer.parseInt(a[0]);
        List<OrtSession> ss = new ArrayList<>();
        for (int m = 1; m < a.length; m++) {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(2); o.setInterOpNumThreads(1);
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.enableProfiling("/tmp/nnzip-ortprof" + m);
            ss.add(env.createSession(a[m], o));
        }
        float[] x = new float[256 * 784]; Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{256,1,28,28});
        for (int k = 0; k < runs; k++) for (OrtSession s : ss) try (var res = s.run(Map.of(s.getInputNames().iterator().next(), t))) {}
        List<Map<String, Double>> all = new ArrayList<>();
        Set<String> ops = new TreeSet<>();
        for (OrtSession s : ss) {
            String f = s.endProfiling();
            JsonNode root = new ObjectMapper().readTree(Files.readString(Path.of(f)));
            Map<String, Double> byOp = new TreeMap<>();
            for (JsonNode e : root) {
                if (!"Node".equals(e.path("cat").asText()) || !e.path("name").asText().endsWith("_kernel_time")) continue;
                double d = e.path("dur").asDouble() / 1000.0 / runs;
                byOp.merge(e.path("args").path("op_name").asText(), d, Double::sum);
                byOp.merge("TOTAL", d, Double::sum);
            }
            all.add(byOp); ops.addAll(byOp.keySet());
            Files.deleteIfExists(Path.of(f));
        }
        System.out.printf("%-22s", "op"); for (int m = 1; m < a.length; m++) System.out.printf(" %14s", Path.of(a[m]).getFileName().toString().replace(".onnx", "")); System.out.println();
        for (String op : ops) {
            double mx = all.stream().mapToDouble(b -> b.getOrDefault(op, 0.0)).max().orElse(0);
            if (mx < 0.05) continue;
            System.out.printf("%-22s", op); for (var b : all) System.out.printf(" %14.2f", b.getOrDefault(op, 0.0)); System.out.println();
        }
    }
}
