package io.nnzip.train;

import io.nnzip.data.Batch;
import io.nnzip.engine.autodiff.Tape;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Training-step timing of a model on random 28×28 images, for profiling under load: per step wall and process CPU
 * time (best and median), and with {@code profile} the calling thread's CPU time per op type and direction (exact
 * with 1 thread, where every kernel runs on the calling thread).
 * <pre>java ... io.nnzip.train.VitTrainBenchMain MODEL.onnx THREADS STEPS [BATCH] [profile]</pre>
 */
public final class VitTrainBenchMain {
    public static void main(String[] a) {
        Model m = OnnxReader.read(Path.of(a[0]));
        int threads = Integer.parseInt(a[1]), steps = Integer.parseInt(a[2]), batch = a.length > 3 ? Integer.parseInt(a[3]) : 128;
        boolean profile = a.length > 4 && a[4].equals("profile");
        Random r = new Random(1);
        float[] x = new float[batch * 784];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = r.nextInt(10);
        Batch b = new Batch(Tensor.of(x, batch, 1, 28, 28), y);
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        Map<String, long[]> ops = new TreeMap<>();
        try (Trainer t = new Trainer(m, new Trainer.Options().threads(threads).lr(1e-4f))) {
            // the first steps, from a cold JVM: what a short fine-tuning pays before the JIT has compiled the kernels
            long pc0 = Trainer.processCpuNanos();
            StringBuilder cold = new StringBuilder("first steps, calling thread cpu ms:");
            for (int i = 0; i < 5; i++) {
                long c0 = tm.getCurrentThreadCpuTime();
                t.step(b, 1e-4f);
                cold.append(String.format(" %.0f", (tm.getCurrentThreadCpuTime() - c0) / 1e6));
            }
            System.out.println(cold + String.format("; process cpu %.0f ms", (Trainer.processCpuNanos() - pc0) / 1e6));
            if (profile) t.tape().setTimer(new Tape.Timer() {
                long c0;
                public void begin() { c0 = tm.getCurrentThreadCpuTime(); }
                public void end(String phase) {
                    long d = tm.getCurrentThreadCpuTime() - c0;
                    String[] p = phase.split(" ");
                    String op = p[0].replaceAll(".*/", "").replaceAll("_\\d+$", "");
                    String where = p[0].contains("/") ? p[0].replaceAll("blocks\\.\\d+", "blocks.N").replaceAll("/[^/]*$", "") : "";
                    long[] s = ops.computeIfAbsent(String.format("%-28s %-22s %s", where, op, p[p.length - 1]), k -> new long[2]);
                    s[0] += d;
                    s[1]++;
                }
            });
            if (System.getProperty("series") != null) {
                StringBuilder sb = new StringBuilder("next steps:");
                for (int i = 0; i < 60; i++) {
                    long c0 = tm.getCurrentThreadCpuTime(), p1 = Trainer.processCpuNanos();
                    t.step(b, 1e-4f);
                    sb.append(String.format(" %.0f/%.0f", (tm.getCurrentThreadCpuTime() - c0) / 1e6, (Trainer.processCpuNanos() - p1) / 1e6));
                }
                System.out.println(sb);
            }
            double[] wall = new double[steps], cpu = new double[steps];
            long p0 = Trainer.processCpuNanos(), m0 = tm.getCurrentThreadCpuTime();
            for (int i = 0; i < steps; i++) {
                long w0 = System.nanoTime(), c0 = tm.getCurrentThreadCpuTime();
                t.step(b, 1e-4f);
                wall[i] = (System.nanoTime() - w0) / 1e6;
                cpu[i] = (tm.getCurrentThreadCpuTime() - c0) / 1e6;
            }
            System.out.printf("process cpu %.1f ms/step, calling thread %.1f ms/step%n", (Trainer.processCpuNanos() - p0) / 1e6 / steps,
                    (tm.getCurrentThreadCpuTime() - m0) / 1e6 / steps);
            double[] ws = wall.clone(), cs = cpu.clone();
            Arrays.sort(ws);
            Arrays.sort(cs);
            System.out.printf("steps %d batch %d threads %d: wall best %.1f median %.1f ms, calling thread cpu best %.1f median %.1f ms%n", steps, batch, threads,
                    ws[0], ws[steps / 2], cs[0], cs[steps / 2]);
            if (profile) {
                long total = ops.values().stream().mapToLong(v -> v[0]).sum();
                ops.entrySet().stream().sorted((p, q) -> Long.compare(q.getValue()[0], p.getValue()[0])).limit(60)
                        .forEach(e -> System.out.printf("%s %8.2f ms/step %5.1f%%%n", e.getKey(), e.getValue()[0] / 1e6 / steps, 100.0 * e.getValue()[0] / total));
                System.out.printf("sum of timed ops %.1f ms/step%n", total / 1e6 / steps);
            }
        }
        threadCpu();
    }

    /** CPU seconds per thread name of this process (Linux /proc), the JIT's compiler threads included. */
    static void threadCpu() {
        Map<String, Double> by = new TreeMap<>();
        try (var dirs = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path d : dirs.toList()) {
                String comm = java.nio.file.Files.readString(d.resolve("comm")).trim().replaceAll("\\d+$", "#");
                String st = java.nio.file.Files.readString(d.resolve("stat"));
                String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                by.merge(comm, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0, Double::sum);
            }
        } catch (java.io.IOException e) {
            return;
        }
        System.out.println("thread cpu s: " + by);
    }
}
