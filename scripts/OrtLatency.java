// ONNX Runtime latency of several models on the same input, interleaved, batch 256 of random (1,28,28) images,
// 2 intra-op threads, spinning OFF: with spinning on, ORT's worker threads burn their time slices waiting while
// 8 helpers share 2 cores and a 15 ms forward pass measures 200-300 ms, so ratios are noise. Prints min/median
// per model and their ratio to the first model. -Dthreads=N: intra-op threads (default 2). -Dgap=MS sleeps MS ms after
// each run, so that with -Dspin=1 one session's spinning workers have gone to sleep before the next session runs.
// Run: source scripts/java-env.sh && $JAVA_HOME/bin/java -cp target/nnzip-run.jar scripts/OrtLatency.java RUNS a.onnx b.onnx ...
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

public class OrtLatency {
    public static void main(String[] a) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int runs = Integer.parseInt(a[0]);
        List<OrtSession> s = new ArrayList<>();
        for (int i = 1; i < a.length; i++) {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(Integer.getInteger("threads", 2));
            o.setInterOpNumThreads(1);
            // -Dspin=1: ORT's default (spinning on), for idle machines only
            o.addConfigEntry("session.intra_op.allow_spinning", Integer.getInteger("spin", 0) == 1 ? "1" : "0");
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            s.add(env.createSession(a[i], o));
        }
        float[] x = new float[256 * 784];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {256, 1, 28, 28});
        double[][] ms = new double[s.size()][runs];
        long gap = Long.getLong("gap", 0);
        for (int k = -3; k < runs; k++)
            for (int i = 0; i < s.size(); i++) {
                long t0 = System.nanoTime();
                try (OrtSession.Result res = s.get(i).run(Map.of(s.get(i).getInputNames().iterator().next(), t))) {
                    if (k >= 0) ms[i][k] = (System.nanoTime() - t0) / 1e6;
                }
                if (gap > 0) Thread.sleep(gap);
            }
        for (int i = 0; i < s.size(); i++) {
            Arrays.sort(ms[i]);
            System.out.printf("%s min %.2f ms median %.2f ms; vs first: min %.3f median %.3f%n", a[i + 1], ms[i][0], ms[i][runs / 2],
                    ms[i][0] / ms[0][0], ms[i][runs / 2] / ms[0][runs / 2]);
        }
    }
}
