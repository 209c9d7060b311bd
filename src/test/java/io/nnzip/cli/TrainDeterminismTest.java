package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One seed, one result: two trainings of the CNN (or the ViT) with the same options in one JVM write the same weights, bit for
 * bit, although the first runs while the JIT is still compiling the kernels and the second on compiled code
 * (with {@code reduceLanes(ADD)}, or {@code lanewise(EXP)} in the ViT, the two differed).
 */
class TrainDeterminismTest {
    @TempDir Path tmp;

    @Test
    void sameSeedSameWeights() throws Exception {
        twoTrainings("cnn", "--width", "0.5", "--limit", "600");
    }

    /** The ViT: softmax and GELU take exponentials (with lanewise(EXP) the two differed in most initializers). */
    @Test
    void sameSeedSameViT() throws Exception {
        twoTrainings("vit", "--limit", "300");
    }

    private void twoTrainings(String model, String... more) throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        Path a = tmp.resolve(model + "a.onnx"), b = tmp.resolve(model + "b.onnx");
        for (Path out : new Path[] {a, b}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--model", model, "--data", "fashion-mnist", "--epochs", "1",
                    "--batch", "50", "--seed", "4", "--threads", "2", "--no-progress", "-o", out.toString(), "--json"));
            args.addAll(java.util.List.of(more));
            TrainEvalCommandTest.run(0, args.toArray(String[]::new));
        }
        Model ma = OnnxReader.read(a), mb = OnnxReader.read(b);
        assertEquals(ma.graph().initializers().keySet(), mb.graph().initializers().keySet());
        for (String n : ma.graph().initializers().keySet())
            assertArrayEquals(ma.graph().initializer(n).toFloats(), mb.graph().initializer(n).toFloats(), n);
    }
}
