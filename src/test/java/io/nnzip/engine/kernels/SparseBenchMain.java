package io.nnzip.engine.kernels;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.models.Models;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Dense versus sparse execution of one magnitude-pruned model in our engine, same JVM, same feeds, rounds
 * alternating (SparseWeights.enabled toggled): per-layer and whole-forward wall-time medians and their ratios, and
 * the whole forward's mean process CPU time (the steadier figure on a loaded machine), and the whole forward once more
 * per round without the listener (which stops the executor recycling its buffers, so every node allocates its output).
 * 10th percentiles are printed next to the medians: on a loaded machine they are the rounds nobody preempted.
 * A third of the rounds warm up.
 * Layers with fewer than SparseWeights.MIN_SIZE weights (the 1-channel first conv, the classifier of the CNN) stay
 * dense in both runs and are left unpruned.
 * A model file (FILE.onnx, e.g. a PyTorch export pruned by {@code nnzip prune}) is read instead of a zoo model; with
 * SPARSITY 0 its weights are run as they are.
 * With {@code -Dsparse.serial=true} a third side runs the sparse linear kernel under the other thread policy: with the
 * worker's help down to the dense kernels' threshold when the default leaves small products on the caller, else on
 * the caller alone; the same rounds then tell the kernel's work from the team's wake-up.
 * <pre>java ... io.nnzip.engine.kernels.SparseBenchMain cnn|mlp|FILE.onnx SPARSITY [batch=256] [threads=2] [rounds=15]</pre>
 */
public final class SparseBenchMain {
    public static void main(String[] args) {
        Model m = args[0].endsWith(".onnx") ? io.nnzip.onnx.OnnxReader.read(java.nio.file.Path.of(args[0])) : Models.create(args[0], 1f, 10, 1);
        double sparsity = Double.parseDouble(args[1]);
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256, threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 15;
        Model f = Fusion.forInference(m);
        for (Node n : f.graph().nodes()) {
            if (!n.opType().equals("Conv") && !n.opType().equals("Gemm") && !n.opType().equals("MatMul")) continue;
            Tensor w = f.graph().initializer(n.input(1));
            if (w == null || w.size() < SparseWeights.MIN_SIZE || sparsity <= 0) continue;
            prune(w.floats(), sparsity);
            System.out.println("pruned " + n.name() + " " + Arrays.toString(w.shape()) + " to " + sparsity);
        }
        SplittableRandom r = new SplittableRandom(1);
        // the model's own input shape after the batch (a 224² foreign CNN), else one 28×28 channel
        int[] shape = {batch, 1, 28, 28};
        io.nnzip.ir.ValueInfo input = f.graph().runtimeInputs().getFirst();
        int[] dims = input.hasShape() ? input.concreteShape(batch) : null;
        if (dims != null && dims.length == 4 && dims[1] > 0 && dims[2] > 0 && dims[3] > 0) shape = new int[] {batch, dims[1], dims[2], dims[3]};
        float[] x = new float[shape[0] * shape[1] * shape[2] * shape[3]];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        Map<String, Tensor> feeds = Map.of(input.name(), Tensor.of(x, shape));
        Map<String, double[][]> layer = new LinkedHashMap<>();
        int sides = Boolean.getBoolean("sparse.serial") ? 3 : 2;
        long policy = SparseGemm.parallelMinMacs, other = policy > Sgemm.PARALLEL_MIN_MACS ? Sgemm.PARALLEL_MIN_MACS : Long.MAX_VALUE;
        String otherName = other == Long.MAX_VALUE ? "sparse on the caller alone" : "sparse with the worker";
        double[][] total = new double[sides][rounds], cpu = new double[sides][rounds], pooled = new double[sides][rounds];
        int warm = Math.max(3, rounds / 3); // under load C2 reaches the vector kernels late
        try (Parallel par = new Parallel(threads)) {
            Executor e = new Executor(f, par);
            for (int round = -warm; round < rounds; round++)
                for (int side = 0; side < sides; side++) {
                    SparseWeights.enabled = side >= 1;
                    SparseGemm.parallelMinMacs = side == 2 ? other : policy;
                    int rr = round, ss = side;
                    e.setListener((node, in, out, nanos) -> {
                        if (rr >= 0) layer.computeIfAbsent(node.name() + " " + node.opType(), k -> new double[sides][rounds])[ss][rr] = nanos / 1e6;
                    });
                    long t0 = System.nanoTime(), c0 = BinaryConvBenchMain.cpu();
                    e.run(feeds);
                    if (round >= 0) total[side][round] = (System.nanoTime() - t0) / 1e6;
                    if (round >= 0) cpu[side][round] = (BinaryConvBenchMain.cpu() - c0) / 1e6;
                    // again without a listener: the executor then recycles its buffers, as bench and run do
                    e.setListener(null);
                    long t1 = System.nanoTime();
                    e.run(feeds);
                    if (round >= 0) pooled[side][round] = (System.nanoTime() - t1) / 1e6;
                }
        }
        for (Map.Entry<String, double[][]> l : layer.entrySet()) {
            double d = median(l.getValue()[0]), s = median(l.getValue()[1]), d10 = p10(l.getValue()[0]), s10 = p10(l.getValue()[1]);
            if (d > 0.2)
                System.out.printf("%-28s dense %8.2f ms  sparse %8.2f ms  %.2fx   (10th percentiles %.3f / %.3f ms, %.2fx)%n", l.getKey(), d, s, d / s, d10, s10,
                        d10 / s10);
        }
        for (Map.Entry<String, double[][]> l : layer.entrySet()) {
            double[][] v = l.getValue();
            if (sides == 3 && median(v[0]) > 0.2)
                System.out.printf("%-28s %s %8.2f ms, %.2fx dense   (10th percentile %.3f ms, %.2fx)%n", l.getKey(), otherName, median(v[2]),
                        median(v[0]) / median(v[2]), p10(v[2]), p10(v[0]) / p10(v[2]));
        }
        double d = median(total[0]), s = median(total[1]);
        System.out.printf("whole forward (batch %d, %d threads): dense %.1f ms, sparse %.1f ms, %.2fx   (10th percentiles %.3f / %.3f ms, %.2fx)%n", batch,
                threads, d, s, d / s, p10(total[0]), p10(total[1]), p10(total[0]) / p10(total[1]));
        for (int side = 1; side < sides; side++)
            System.out.printf("whole forward without a listener (buffers recycled)%s: dense %.3f ms, sparse %.3f ms, %.2fx   (10th percentiles %.3f / %.3f ms, %.2fx)%n",
                    side == 2 ? ", " + otherName : "", median(pooled[0]), median(pooled[side]), median(pooled[0]) / median(pooled[side]), p10(pooled[0]),
                    p10(pooled[side]), p10(pooled[0]) / p10(pooled[side]));
        if (sides == 3)
            System.out.printf("whole forward, %s: %.1f ms, %.2fx   (10th percentile %.3f ms, %.2fx)%n", otherName, median(total[2]), d / median(total[2]),
                    p10(total[2]), p10(total[0]) / p10(total[2]));
        double dc = Arrays.stream(cpu[0]).sum(), sc = Arrays.stream(cpu[1]).sum();
        System.out.printf("whole forward, mean process CPU time: dense %.1f ms, sparse %.1f ms, %.2fx%n", dc / rounds, sc / rounds, dc / sc);
    }

    /** Zeroes the smallest-magnitude share of {@code w}. */
    static void prune(float[] w, double share) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
        Arrays.sort(a);
        float t = a[Math.min(w.length - 1, (int) (share * w.length))];
        for (int i = 0; i < w.length; i++) if (Math.abs(w[i]) < t) w[i] = 0f;
    }

    /** The 10th percentile: on a loaded machine the calls that ran without being preempted. */
    static double p10(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 10];
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
