// Latency of nnzip's engine on two models in one process, alternating: A, B, A, B, ... (each round one forward pass
// after a pause of -Dpause=MS, default 300), after -Dwarm=W warm-up passes each (default 5); prints each model's
// median ms and B/A. For a low-bit model against its float original on the same input (its bit kernels vs float ones).
// -Dthreads=T (default 2), -Drounds=R (default 20). Input: a .npy for the single input.
// Run: java --add-modules jdk.incubator.vector -cp "target/nnzip.jar:target/lib/*" scripts/EngineLatencyPair.java float.onnx binary.onnx x.npy
import io.nnzip.engine.Executor;
import io.nnzip.engine.Fusion;
import io.nnzip.engine.Parallel;
import io.nnzip.ir.Model;
import io.nnzip.ir.Tensor;
import java.nio.file.Path;
import java.util.*;

public class EngineLatencyPair {
    public static void main(String[] a) throws Exception {
        int threads = Integer.getInteger("threads", 2), rounds = Integer.getInteger("rounds", 20), warm = Integer.getInteger("warm", 5);
        long pause = Long.getLong("pause", 300);
        Tensor x = io.nnzip.numpy.Npy.read(Path.of(a[2]));
        Parallel par = new Parallel(threads);
        Executor[] ex = new Executor[2];
        String[] in = new String[2];
        for (int i = 0; i < 2; i++) {
            Model m = io.nnzip.onnx.OnnxReader.read(Path.of(a[i]));
            ex[i] = new Executor(Fusion.forInference(m), par);
            in[i] = m.graph().runtimeInputs().getFirst().name();
            for (int w = 0; w < warm; w++) ex[i].run(Map.of(in[i], x));
        }
        double[][] ms = new double[2][rounds];
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < 2; i++) {
                Thread.sleep(pause);
                long t0 = System.nanoTime();
                ex[i].run(Map.of(in[i], x));
                ms[i][r] = (System.nanoTime() - t0) / 1e6;
            }
        double[] med = new double[2];
        for (int i = 0; i < 2; i++) {
            Arrays.sort(ms[i]);
            med[i] = ms[i][rounds / 2];
            System.out.printf("%s: median %.2f ms (min %.2f, max %.2f) over %d passes of batch %d, %d threads%n", a[i], med[i], ms[i][0], ms[i][rounds - 1], rounds, x.shape()[0], threads);
        }
        System.out.printf("ratio B/A: %.3f%n", med[1] / med[0]);
        System.exit(0);
    }
}
