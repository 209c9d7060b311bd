package io.nnzip.engine;

import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Per-pass jitter of the engine's forward pass: wall and calling-thread CPU time of each pass, how long the caller
 * waited for workers after its own part of each loop and how many loops it dispatched, young collections and
 * worker wake-ups (parks) during it, the team's spin budget, mean measured wake-up and the share of its watched time
 * other threads took after it, to tell GC, page first-touch (CPU without GC) and thread wake-up (wall without
 * CPU) apart. {@code sleepMs} before each pass mimics {@code bench}'s settle pause; with {@code ort}, an ONNX Runtime
 * pass (same threads, its default spinning pool) and another pause come between the engine's passes, as in
 * {@code bench}'s cold rounds, and each line also says whether the pass was a probe ({@code P}: a contended team
 * polling that run to re-measure).
 * <pre>java ... io.nnzip.engine.InferenceJitterMain MODEL.onnx INPUT.npy THREADS PASSES [sleepMs] [ort]</pre>
 */
public final class InferenceJitterMain {
    public static void main(String[] a) throws Exception {
        Model m = Fusion.forInference(OnnxReader.read(Path.of(a[0])));
        Tensor x = io.nnzip.numpy.Npy.read(Path.of(a[1]));
        int threads = Integer.parseInt(a[2]), passes = Integer.parseInt(a[3]);
        long sleep = a.length > 4 ? Long.parseLong(a[4]) : 30;
        boolean withOrt = a.length > 5 && a[5].equals("ort");
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        Model original = OnnxReader.read(Path.of(a[0]));
        try (Parallel par = new Parallel(threads);
             io.nnzip.eval.OrtRunner.Prepared ort = withOrt ? io.nnzip.eval.OrtRunner.timed(original,
                     threads, Map.of(original.graph().runtimeInputs().getFirst().name(), x)) : null) {
            Executor ex = new Executor(m, par);
            Map<String, Tensor> feeds = Map.of(m.graph().runtimeInputs().getFirst().name(), x);
            for (int i = 0; i < 40; i++) ex.run(feeds);
            if (ort != null) for (int i = 0; i < 40; i++) ort.run();
            double[] wall = new double[passes], cpu = new double[passes];
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < passes; i++) {
                if (ort != null) {
                    if (sleep > 0) Thread.sleep(sleep);
                    ort.run();
                }
                if (sleep > 0) Thread.sleep(sleep);
                long probes = par.spinPolicy().probes();
                long g0 = gcs(), p0 = Parallel.PARKS.sum(), wt0 = Parallel.WAITED.sum(), l0 = Parallel.LOOPS.sum(), c0 = tm.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                ex.run(feeds);
                wall[i] = (System.nanoTime() - t0) / 1e6;
                cpu[i] = (tm.getCurrentThreadCpuTime() - c0) / 1e6;
                sb.append(String.format(" %.1f/%.1f/W%.2f/L%d/g%d/p%d/s%d/w%d", wall[i], cpu[i], (Parallel.WAITED.sum() - wt0) / 1e6, Parallel.LOOPS.sum() - l0, gcs() - g0, Parallel.PARKS.sum() - p0,
                        par.spinPolicy().gapBudgetNanos() / 1000, par.wakeNanos() / 1000)
                        + String.format("/t%.0f%%", 100 * par.spinPolicy().takenShare()) + (par.spinPolicy().contended(System.nanoTime()) ? "c" : "") + (par.spinPolicy().probes() > probes ? "P" : ""));
            }
            System.out.println("wall/cpu/W caller waited ms/L loops/gcs/parks/gap budget µs/wake µs/share of watched time taken by other threads[c: contended]:" + sb);
            Arrays.sort(wall);
            Arrays.sort(cpu);
            System.out.printf("wall best %.1f median %.1f; cpu best %.1f median %.1f ms%n", wall[0], wall[passes / 2], cpu[0], cpu[passes / 2]);
        }
    }

    static long gcs() {
        long n = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) n += b.getCollectionCount();
        return n;
    }
}
