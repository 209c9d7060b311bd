package io.nnzip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One seed, one result: two trainings of the CNN with the same options in one JVM write the same weights, bit for
 * bit, although the first runs while the JIT is still compiling the kernels and the second on compiled code
 * (with {@code reduceLanes(ADD)} the two differed).
 */
class TrainDeterminismTest {
    @TempDir Path tmp;

    @Test
    void sameSeedSameWeights() throws Exception {
        io.nnzip.testing.TestData.assumeFashion();
        Path a = tmp.resolve("a.onnx"), b = tmp.resolve("b.onnx");
        for (Path out : new Path[] {a, b})
            TrainEvalCommandTest.run(0, "train", "--model", "cnn", "--width", "0.5", "--data", "fashion-mnist", "--limit", "600", "--epochs", "1",
                    "--batch", "50", "--seed", "4", "--threads", "2", "--no-progress", "-o", out.toString(), "--json");
        Model ma = OnnxReader.read(a), mb = OnnxReader.read(b);
        assertEquals(ma.graph().initializers().keySet(), mb.graph().initializers().keySet());
        for (String n : ma.graph().initializers().keySet())
            assertArrayEquals(ma.graph().initializer(n).toFloats(), mb.graph().initializer(n).toFloats(), n);
    }
}
