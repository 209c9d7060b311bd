package io.nnzip.engine.kernels;

import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Whole-model forward in nnzip's engine: a float model against its binarized version (whose binarized layers the
 * engine lowers to bit kernels), same feeds, same threads, interleaved; mean process CPU time per forward.
 * <pre>java ... io.nnzip.engine.kernels.BinaryModelBenchMain float.onnx binary.onnx [batch=256] [threads=2] [reps=20]</pre>
 */
public final class BinaryModelBenchMain {
    public static void main(String[] args) {
        Model f = OnnxReader.read(Path.of(args[0])), b = OnnxReader.read(Path.of(args[1]));
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 256, threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int reps = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        String in = f.graph().runtimeInputs().getFirst().name();
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[batch * 28 * 28];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Map<String, Tensor> feeds = Map.of(in, Tensor.of(x, batch, 1, 28, 28));
        Model fb = Fusion.forInference(b);
        long lowered = fb.graph().nodes().stream().filter(n -> n.opType().equals("BinaryConv")).count();
        try (Parallel par = new Parallel(threads)) {
            Executor ef = new Executor(Fusion.forInference(f), par), eb = new Executor(fb, par);
            int warm = Math.max(3, reps / 3);
            double tf = 0, tb = 0;
            for (int rep = 0; rep < reps; rep++) {
                long t0 = BinaryConvBenchMain.cpu();
                ef.run(feeds);
                long t1 = BinaryConvBenchMain.cpu();
                eb.run(feeds);
                long t2 = BinaryConvBenchMain.cpu();
                if (rep < warm) continue; // warm-up: under load C2 reaches the vector kernels late
                tf += (t1 - t0) / 1e6 / (reps - warm);
                tb += (t2 - t1) / 1e6 / (reps - warm);
            }
            System.out.printf("whole model, batch %d, %d threads, mean process CPU per forward: float %.1f ms, binarized (%d layers on bits) %.1f ms: %.2fx%n",
                    batch, threads, tf, lowered, tb, tf / tb);
        }
    }
}
